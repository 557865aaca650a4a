import type { WarehouseCapabilities } from '@cloudmux/core';

export const duckdbWarehouseCapabilities: WarehouseCapabilities = {
  loadParquet: true,
  loadCsv: true,
  loadNdjson: true,
  loadReplace: true,
  // An embedded engine scans local files and bills nothing: neither figure exists.
  bytesScannedStats: false,
  bytesBilledStats: false,
  jsonType: true,
  decimalType: true,
  microsecondTimestamps: true,
};
