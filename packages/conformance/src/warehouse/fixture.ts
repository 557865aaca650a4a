/**
 * The warehouse suite's fixture: one adapter per run, tables named per run (dropped after it), the lake it
 * loads from, and the schemas and helpers the cases share.
 */
import type {
  Column,
  ObjectStore,
  QueryResult,
  TableSchema,
  Warehouse,
  WarehouseCapabilities,
} from '@cloudmux/core';
import { beginCase, capabilitiesWithGaps } from '../harness.ts';
import type { CaseContext, ContractRunner } from '../runner.ts';
import type { WarehouseContractTarget } from './suite.ts';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const BEYOND_2_53 = 9007199254740993n;
export const INJECTIONS = [
  "'; DROP TABLE x; --",
  "Robert'); DROP TABLE students;--",
  '" OR 1=1 --',
  '`; SELECT 1; --',
  '] OR 1=1; --',
  "@other' || '",
  '$1 ? :name',
  "\\'; --",
];

/** Exact decimal text without trailing fractional zeros: engines differ in how many they print. */
export function normalizeDecimal(text: unknown): string {
  const s = String(text);
  if (!s.includes('.')) return s === '-0' ? '0' : s;
  const trimmed = s.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' || trimmed === '' ? '0' : trimmed;
}

export const epochMicrosOf = (value: unknown): bigint | undefined =>
  typeof (value as { epochMicros?: unknown } | null)?.epochMicros === 'bigint'
    ? (value as { epochMicros: bigint }).epochMicros
    : undefined;

/** Milliseconds of a returned timestamp; fails the case when the value is not a Date. */
export function timeOf(value: unknown): number {
  if (!(value instanceof Date)) throw new TypeError(`expected a Date, got ${String(value)}`);
  return value.getTime();
}

export const micros = (iso: string, fraction: bigint) => BigInt(Date.parse(iso)) * 1000n + fraction;

/** The shared state and helpers of one warehouse suite run; registers its hooks with the runner. */
export function warehouseSuite(runner: ContractRunner, target: WarehouseContractTarget) {
  const { it, expect, beforeAll, afterAll } = runner;
  let warehouse: Warehouse;
  let lake: ObjectStore | undefined;
  const run = `cmx_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const tables = new Set<string>();
  const lakeKeys: string[] = [];

  const gaps = target.endpointGaps ?? {};
  const capabilities = (): WarehouseCapabilities => warehouse.capabilities;
  const declaredWithGaps = (): WarehouseCapabilities => capabilitiesWithGaps(warehouse.capabilities, gaps);

  beforeAll(async () => {
    warehouse = await target.create();
  });

  afterAll(async () => {
    if (!warehouse) return;
    const failures: unknown[] = [];
    for (const table of tables) await warehouse.dropTable(table).catch((e: unknown) => failures.push(e));
    if (lake) {
      if (target.destroyLake) await target.destroyLake(lake);
      else {
        if (lakeKeys.length > 0) await lake.deleteMany(lakeKeys);
        await lake.close();
      }
    }
    await target.destroy(warehouse);
    expect(failures).toEqual([]);
  });

  /** A fresh table name of this run, dropped after the suite. */
  const tableName = (label: string): string => {
    const name = `${run}_${label}`;
    tables.add(name);
    return name;
  };
  const q = (identifier: string) => warehouse.dialect.quoteIdent(identifier);
  const getLake = async (): Promise<ObjectStore> => {
    lake ??= await target.lake();
    return lake;
  };
  const putLake = async (key: string, body: Uint8Array | string, contentType: string) => {
    const store = await getLake();
    await store.put(key, body, { contentType });
    lakeKeys.push(key);
  };
  const countOf = async (table: string): Promise<bigint> => {
    const result = await warehouse.query(`SELECT COUNT(*) AS n FROM ${q(table)}`);
    return result.rows[0]?.n as bigint;
  };

  function contractCase(name: string, body: (ctx: CaseContext) => Promise<void>, timeout?: number): void {
    it(
      name,
      async (ctx) => {
        beginCase(ctx, target, 'warehouse', warehouse.capabilities);
        await body(ctx);
      },
      timeout,
    );
  }

  const basicSchema: TableSchema = {
    columns: [
      { name: 'id', type: 'int64', nullable: false },
      { name: 'label', type: 'string' },
    ],
  };

  const scalarColumns: Column[] = [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'c_string', type: 'string' },
    { name: 'c_int64', type: 'int64' },
    { name: 'c_float64', type: 'float64' },
    { name: 'c_bool', type: 'bool' },
    { name: 'c_timestamp', type: 'timestamp' },
    { name: 'c_date', type: 'date' },
  ];
  const scalarTable = async (label: string): Promise<string> => {
    const table = tableName(label);
    await warehouse.ensureTable(table, { columns: scalarColumns });
    return table;
  };
  const byId = async (table: string, columns = '*'): Promise<QueryResult> =>
    warehouse.query(`SELECT ${columns} FROM ${q(table)} ORDER BY id`);
  return {
    it,
    expect,
    target,
    get warehouse() {
      return warehouse;
    },
    run,
    gaps,
    capabilities,
    declaredWithGaps,
    tableName,
    q,
    getLake,
    putLake,
    countOf,
    contractCase,
    basicSchema,
    scalarColumns,
    scalarTable,
    byId,
  };
}

export type WarehouseSuite = ReturnType<typeof warehouseSuite>;
