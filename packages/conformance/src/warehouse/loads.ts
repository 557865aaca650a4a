/**
 * Warehouse cases: loads from the lake in every file format.
 */
import type { Column } from '@cloudmux/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { expectCode, gate, skipWithReason } from '../harness.ts';
import type { WarehouseSuite } from './fixture.ts';
import { BEYOND_2_53 } from './fixture.ts';

export function warehouseLoadCases(s: WarehouseSuite): void {
  const {
    expect,
    target,
    run,
    capabilities,
    declaredWithGaps,
    tableName,
    q,
    getLake,
    putLake,
    countOf,
    contractCase,
  } = s;
  // ---- loads from the lake ----

  const loadColumns: Column[] = [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'name', type: 'string' },
    { name: 'score', type: 'float64' },
    { name: 'active', type: 'bool' },
    { name: 'at', type: 'timestamp' },
    { name: 'day', type: 'date' },
  ];
  const loadTable = async (label: string): Promise<string> => {
    const table = tableName(label);
    await s.warehouse.ensureTable(table, { columns: loadColumns });
    return table;
  };
  /** The rows every fixture format encodes, as the warehouse must return them (ordered by id). */
  const expectedLoaded = [
    {
      id: 1n,
      name: 'O\'Brien, "Ann"',
      score: 1.5,
      active: true,
      at: '2024-01-02T03:04:05.123Z',
      day: '2024-01-02',
    },
    { id: 3n, name: null, score: null, active: null, at: null, day: null },
    {
      id: BEYOND_2_53,
      name: 'ünïcødé',
      score: -0.25,
      active: false,
      at: '1999-12-31T23:59:59.000Z',
      day: '1999-12-31',
    },
  ];
  const loadedRows = async (table: string) =>
    (await s.warehouse.query(`SELECT * FROM ${q(table)} ORDER BY id`)).rows.map((r) => ({
      ...r,
      at: r.at === null ? null : (r.at as Date).toISOString(),
    }));
  const csvFixture = [
    'id,name,score,active,at,day',
    '1,"O\'Brien, ""Ann""",1.5,true,2024-01-02 03:04:05.123,2024-01-02',
    `${BEYOND_2_53},ünïcødé,-0.25,false,1999-12-31 23:59:59,1999-12-31`,
    '3,,,,,',
    '',
  ].join('\n');
  const ndjsonFixture = [
    '{"id": 1, "name": "O\'Brien, \\"Ann\\"", "score": 1.5, "active": true, "at": "2024-01-02 03:04:05.123", "day": "2024-01-02"}',
    `{"id": ${BEYOND_2_53}, "name": "ünïcødé", "score": -0.25, "active": false, "at": "1999-12-31 23:59:59", "day": "1999-12-31"}`,
    '{"id": 3, "name": null, "score": null, "active": null, "at": null, "day": null}',
    '',
  ].join('\n');
  const parquetFixture = (): Uint8Array =>
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: [1n, BEYOND_2_53, 3n] },
          { name: 'name', data: ['O\'Brien, "Ann"', 'ünïcødé', null] },
          { name: 'score', data: [1.5, -0.25, null] },
          { name: 'active', data: [true, false, null] },
          {
            name: 'at',
            data: [
              BigInt(Date.parse('2024-01-02T03:04:05.123Z')) * 1000n,
              BigInt(Date.parse('1999-12-31T23:59:59Z')) * 1000n,
              null,
            ],
          },
          {
            name: 'day',
            data: [Date.parse('2024-01-02') / 86_400_000, Date.parse('1999-12-31') / 86_400_000, null],
          },
        ],
        schema: [
          { name: 'root', num_children: 6 },
          { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
          { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
          { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
          { name: 'active', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
          { name: 'at', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'OPTIONAL' },
          { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
        ],
      }),
    );

  const formats = [
    {
      format: 'parquet',
      capability: 'loadParquet',
      ext: 'parquet',
      type: 'application/vnd.apache.parquet',
      body: parquetFixture,
    },
    { format: 'csv', capability: 'loadCsv', ext: 'csv', type: 'text/csv', body: () => csvFixture },
    {
      format: 'ndjson',
      capability: 'loadNdjson',
      ext: 'ndjson',
      type: 'application/x-ndjson',
      body: () => ndjsonFixture,
    },
  ] as const;

  for (const fixture of formats) {
    contractCase(`load ${fixture.format} from the object store by key`, async (ctx) => {
      const table = await loadTable(`load_${fixture.format}`);
      const key = `${run}/${fixture.format}/by-key/part-0.${fixture.ext}`;
      const declared = capabilities()[fixture.capability];
      if (declared) await putLake(key, fixture.body(), fixture.type);
      const source = await getLake();
      const load = () => s.warehouse.loadFromObjects(table, { source, keys: [key], format: fixture.format });
      if (!(await gate(ctx, target, declared, fixture.capability, load))) return;
      const result = await load();
      expect(result.rowsLoaded).toBe(3);
      expect(result.files).toBe(1);
      expect(result.stats.durationMs).toBeGreaterThanOrEqual(0);
      expect(await loadedRows(table)).toEqual(expectedLoaded);
    });
  }

  contractCase('load every file under a prefix (csv)', async (ctx) => {
    const table = await loadTable('load_prefix');
    const declared = capabilities().loadCsv;
    const prefix = `${run}/csv-prefix/`;
    const load = async () =>
      s.warehouse.loadFromObjects(table, { source: await getLake(), prefix, format: 'csv' });
    if (!(await gate(ctx, target, declared, 'loadCsv', load))) return;
    const header = 'id,name,score,active,at,day';
    await putLake(
      `${prefix}a.csv`,
      `${header}\n10,a,1,true,2024-01-01 00:00:00,2024-01-01\n11,b,2,true,2024-01-01 00:00:00,2024-01-01\n`,
      'text/csv',
    );
    await putLake(`${prefix}b.csv`, `${header}\n12,c,3,false,2024-01-01 00:00:00,2024-01-01\n`, 'text/csv');
    const result = await load();
    expect(result).toMatchObject({ rowsLoaded: 3, files: 2 });
    const ids = await s.warehouse.query(`SELECT id FROM ${q(table)} ORDER BY id`);
    expect(ids.rows.map((r) => r.id)).toEqual([10n, 11n, 12n]);
  });

  contractCase('append adds rows; replace swaps the contents', async (ctx) => {
    const table = await loadTable('replace');
    const source = await getLake();
    if (!declaredWithGaps().loadCsv)
      skipWithReason(ctx, 'needs loadCsv to stage the files (unsupported or an endpoint gap)');
    const header = 'id,name,score,active,at,day';
    const first = `${run}/replace/first.csv`;
    const second = `${run}/replace/second.csv`;
    await putLake(first, `${header}\n1,one,1,true,,\n2,two,2,true,,\n`, 'text/csv');
    await putLake(second, `${header}\n3,three,3,false,,\n`, 'text/csv');
    const replace = () =>
      s.warehouse.loadFromObjects(table, { source, keys: [second], format: 'csv', mode: 'replace' });
    if (!(await gate(ctx, target, capabilities().loadReplace, 'loadReplace', replace))) return;
    await s.warehouse.loadFromObjects(table, { source, keys: [first], format: 'csv' });
    await s.warehouse.loadFromObjects(table, { source, keys: [second], format: 'csv', mode: 'append' });
    expect(await countOf(table)).toBe(3n);
    const replaced = await replace();
    expect(replaced.rowsLoaded).toBe(1);
    const rows = await s.warehouse.query(`SELECT id, name FROM ${q(table)} ORDER BY id`);
    expect(rows.rows).toEqual([{ id: 3n, name: 'three' }]);
  });

  contractCase('a failed replace leaves the old contents', async (ctx) => {
    const table = await loadTable('replace_atomic');
    const source = await getLake();
    if (!declaredWithGaps().loadCsv || !declaredWithGaps().loadReplace)
      skipWithReason(ctx, 'needs loadCsv and loadReplace');
    await s.warehouse.insertRows(table, [{ id: 1n, name: 'original' }]);
    const bad = `${run}/replace-atomic/bad.csv`;
    await putLake(bad, 'id,name,score,active,at,day\n2,x,not-a-number,true,,\n', 'text/csv');
    const failed = await s.warehouse
      .loadFromObjects(table, { source, keys: [bad], format: 'csv', mode: 'replace' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed, 'a load of a malformed file must fail').toBeDefined();
    expect((failed as { code?: string }).code).toBe('InvalidArgument');
    const rows = await s.warehouse.query(`SELECT id, name FROM ${q(table)}`);
    expect(rows.rows).toEqual([{ id: 1n, name: 'original' }]);
  });

  contractCase('load from a prefix with no objects → NotFound', async (ctx) => {
    const table = await loadTable('load_empty');
    const source = await getLake();
    if (!declaredWithGaps().loadCsv) skipWithReason(ctx, 'needs loadCsv (unsupported or an endpoint gap)');
    await expectCode(
      s.warehouse.loadFromObjects(table, { source, prefix: `${run}/nothing-here/`, format: 'csv' }),
      'NotFound',
    );
  });
}
