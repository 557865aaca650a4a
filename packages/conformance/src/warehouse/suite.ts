/**
 * The warehouse contract, written once and run against every Warehouse adapter (DuckDB embedded;
 * BigQuery, Redshift and Synapse through their emulators or wire-compatible test servers).
 *
 * Provider-neutral by construction: identifiers go through `warehouse.dialect.quoteIdent`, engine
 * functions through `warehouse.dialect.fn`, parameters are written `@name`, lake fixtures are plain
 * CSV/NDJSON text and Parquet written by a pure-JS writer, and large inputs are inserted through
 * the adapter rather than generated with an engine-specific table function.
 */
import type { ObjectStore, Warehouse } from '@cloudmux/core';
import { warehouseFaultProbe } from '../faults/probes.ts';
import { describeFaultGroup } from '../faults/suite.ts';
import type { ContractTarget } from '../harness.ts';
import type { ContractRunner } from '../runner.ts';
import { warehouseSuite } from './fixture.ts';
import { warehouseLoadCases } from './loads.ts';
import { warehouseParameterCases } from './parameters.ts';
import { warehouseResultCases } from './results.ts';
import { warehouseTableCases } from './tables.ts';

export interface WarehouseContractTarget extends ContractTarget<Warehouse> {
  /** A lake store the warehouse can load from (local: the fs store; clouds: the cloud's store). */
  lake: () => Promise<ObjectStore>;
  /** Removes what `lake` made; by default the suite deletes the keys it wrote and closes the store. */
  destroyLake?: (lake: ObjectStore) => Promise<void>;
}

export function describeWarehouseContract(runner: ContractRunner, target: WarehouseContractTarget): void {
  runner.describe(`warehouse contract: ${target.provider} (${target.endpoint})`, () => {
    const s = warehouseSuite(runner, target);
    warehouseTableCases(s);
    warehouseParameterCases(s);
    warehouseResultCases(s);
    warehouseLoadCases(s);
    describeFaultGroup(runner, target, 'warehouse', warehouseFaultProbe(runner.expect));
  });
}
