import type { DataSize } from './data-size.ts';
import type { PhaseUsage, RunUsage } from './run-usage.ts';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Calls that handle many messages or objects at once: their item counts say more than the calls. */
const MULTI_ITEM = new Set(['queue.sendBatch', 'queue.receive', 'queue.ackMany', 'objectStore.deleteMany']);

function callsLine(phase: PhaseUsage): string {
  const parts = Object.entries(phase.calls)
    .sort(([, a], [, b]) => b - a)
    .map(([name, calls]) => {
      const items = MULTI_ITEM.has(name) ? ` (${count(phase.items[name] ?? 0)} items)` : '';
      return `${name} ${count(calls)}${items}`;
    });
  return parts.length ? parts.join(' · ') : 'none';
}

function unitsLine(phase: PhaseUsage): string {
  const parts = Object.entries(phase.units)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([unit, value]) => `${unit} ${Number.isInteger(value) ? count(value) : value.toFixed(1)}`);
  return parts.length ? parts.join(' · ') : 'none reported';
}

/** The run's usage by stage and its data sizes, a few lines for the printed summary. */
export function formatUsage(usage: RunUsage, dataSize: DataSize): string[] {
  const consumers = usage.processes - 1;
  const out = [
    `usage by stage (${usage.processes} process meters merged: the run and ${consumers} consumer${consumers === 1 ? '' : 's'}):`,
  ];
  for (const [name, phase] of Object.entries(usage.phases)) {
    out.push(`  ${name.padEnd(7)} calls: ${callsLine(phase)}`);
    out.push(
      `  ${''.padEnd(7)} units: ${unitsLine(phase)}; bytes in ${formatBytes(phase.bytesIn)}, out ${formatBytes(phase.bytesOut)}`,
    );
  }
  const outside = Object.entries(usage.other)
    .map(([name, phase]) => `${name} ${count(Object.values(phase.calls).reduce((a, b) => a + b, 0))} calls`)
    .join(', ');
  out.push(`  outside the stages (not priced as pipeline work): ${outside}`);
  const warehouse =
    dataSize.warehouseBytes === null
      ? `unknown (${dataSize.warehouseBytesNote ?? 'no figure'})`
      : `${formatBytes(dataSize.warehouseBytes)} (${dataSize.warehouseBytesNote ?? 'engine figure'})`;
  out.push(
    `data size: lake ${formatBytes(dataSize.lakeBytes)} in ${count(dataSize.lakeObjects)} objects · queue ${formatBytes(dataSize.queueBytes)} enqueued`,
  );
  out.push(`  warehouse table: ${warehouse}`);
  return out;
}
