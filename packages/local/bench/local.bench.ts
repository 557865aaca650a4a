/**
 * `pnpm bench`: throughput of the local adapters against their peers, side by side in one process,
 * plus the meter's overhead. Writes `.reports/bench.json` and the local section of `BENCHMARKS.md`.
 *
 * Peers take turns: every figure is the median of a few rounds, and each round runs every peer of a
 * scenario once in rotating order, so a noisy neighbour on a shared machine hits them all alike.
 * `BENCH_ONLY=queue,meter` runs some sections and prints them without writing any report.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Meter, type ObjectStore, portableObjectStore, portableQueue, type Queue } from '@cloudmux/core';
import * as hdr from 'hdr-histogram-js';
import { createSqliteQueue } from '../src/sqlite-queue.ts';
import type { ObjectPeer } from './peers.ts';
import { createRawSqliteQueue } from './raw-sqlite-queue.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const startLoad = loadavg()[0] ?? 0;
const ROUNDS = 3;
const QUEUE_ROUNDS = 7;
const SECTIONS = ['queue', 'meter', 'warehouse', 'objects'] as const;
type Section = (typeof SECTIONS)[number];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()) as Section[] | undefined;
const runs = (section: Section) => !only || only.includes(section);
/** Set in a child process that measures the meter once (its value: the work directory). */
const METER_CHILD = 'CLOUDMUX_BENCH_METER_CHILD';
const run = promisify(execFile);

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Throughput relative to `baseline` in the same run (> 1 is faster). */
  ratio?: number;
  baseline?: string;
}

interface Row {
  cells: string[];
}

const results: BenchResult[] = [];
const tables: Record<string, { header: string[]; rows: Row[]; note?: string }> = {};

function table(title: string, header: string[], note?: string) {
  tables[title] ??= { header, rows: [], ...(note ? { note } : {}) };
  return tables[title]!;
}

function record(result: BenchResult): void {
  results.push(result);
  const ratio = result.ratio === undefined ? '' : `  (${result.ratio.toFixed(2)}× ${result.baseline})`;
  console.log(`${result.name.padEnd(58)} ${format(result.value).padStart(10)} ${result.unit}${ratio}`);
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** Median of a handful of samples (the middle round). */
function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `op` from `concurrency` workers until `budgetMs` passes; returns operations per second. */
async function opsPerSecond(
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  budgetMs: number,
): Promise<number> {
  let issued = 0;
  const start = performance.now();
  const end = start + budgetMs;
  const worker = async () => {
    while (performance.now() < end) await op(issued++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return issued / ((performance.now() - start) / 1000);
}

/** Each contender once per round, in rotating order; returns the median per contender. */
async function interleaved<T>(
  contenders: readonly T[],
  measure: (c: T) => Promise<number>,
  rounds = ROUNDS,
): Promise<Map<T, number>> {
  const samples = new Map<T, number[]>(contenders.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length]!;
      samples.get(contender)!.push(await measure(contender));
    }
  }
  return new Map([...samples].map(([c, s]) => [c, median(s)]));
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

// ---------------------------------------------------------------------------------------------
// Object store: put and get at 1 KB and 1 MB, one at a time and 16 in flight.

async function benchObjects(work: string): Promise<void> {
  const peers = await import('./peers.ts');
  const sizes = [
    { label: '1KB', bytes: 1024, budgetMs: 250, keys: 64 },
    { label: '1MB', bytes: 1024 * 1024, budgetMs: 250, keys: 16 },
  ];
  const out = table(
    'Object store',
    ['operation', 'peer', 'durability', 'ops/s', 'vs node:fs temp+rename'],
    'Durability: *atomic* = temp file + rename (a crash never tears an object); *in-place* = written over the target (a crash can tear it); *fsync* = flushed to disk on every write (*fsync, in-place*: flushed, but written over the target). Compare within a class.',
  );
  for (const size of sizes) {
    const body = new Uint8Array(randomBytes(size.bytes));
    const dir = join(work, `objects-${size.label}`);
    const make = async (name: string, create: (d: string) => ObjectPeer) => {
      const peerDir = join(dir, name);
      await mkdir(peerDir, { recursive: true });
      return create(peerDir);
    };
    const all: ObjectPeer[] = [
      await make('plain', (d) => peers.plainFsPeer(d, false)),
      await make('cloudmux', (d) => peers.cloudmuxPeer(d, false)),
      await make('flydrive', (d) => peers.flydrivePeer(d)),
      await make('unstorage', (d) => peers.unstoragePeer(d)),
      await make('plain-fsync', (d) => peers.plainFsPeer(d, true)),
      await make('cloudmux-fsync', (d) => peers.cloudmuxPeer(d, true)),
      await make('opendal', (d) => peers.opendalPeer(d)),
    ];
    const baseline = all[0]!;
    // Reads go through the same code whether or not writes fsync, so only one of each is read.
    const readers = all.filter(
      (p) => p.name !== 'cloudmux fs (fsync)' && p.name !== 'node:fs temp+rename (fsync)',
    );
    const keys = size.keys;
    for (const peer of readers) {
      for (let k = 0; k < keys; k++) await peer.put(`k${k}`, body);
    }
    for (const operation of ['put', 'get'] as const) {
      const contenders = operation === 'put' ? all : readers;
      for (const concurrency of [1, 16]) {
        const run = (peer: ObjectPeer) =>
          opsPerSecond(
            (i) => (operation === 'put' ? peer.put(`k${i % keys}`, body) : peer.get(`k${i % keys}`)),
            concurrency,
            size.budgetMs,
          );
        for (const peer of contenders) await run(peer); // warm-up, unmeasured
        const rates = await interleaved(contenders, run);
        const mode = concurrency === 1 ? 'sequential' : `${concurrency} in flight`;
        const base = rates.get(baseline)!;
        for (const peer of contenders) {
          const value = rates.get(peer)!;
          record({
            name: `object.${operation}.${size.label}.${concurrency === 1 ? 'seq' : `c${concurrency}`}.${slug(peer.name)}`,
            value,
            unit: 'ops/s',
            ratio: value / base,
            baseline: baseline.name,
          });
          out.rows.push({
            cells: [
              `${operation} ${size.label}, ${mode}`,
              peer.name,
              peer.durability,
              format(value),
              `${(value / base).toFixed(2)}×`,
            ],
          });
        }
      }
    }
    for (const peer of all) await peer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Queue: send + receive + ack of 1 KB messages, one at a time and in batches of 500.

async function benchQueue(work: string): Promise<void> {
  const body = new Uint8Array(randomBytes(1024));
  const synchronous = 'NORMAL';
  const queue = createSqliteQueue({ file: join(work, 'queue.sqlite'), synchronous });
  await queue.ensureQueue('bench', { visibilityTimeoutSeconds: 60 });
  const raw = createRawSqliteQueue(join(work, 'raw.sqlite'), synchronous);
  const singleCount = 2000;
  const batch = 500;
  const batchedCount = 40 * batch;
  const latency = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

  type Contender = 'cloudmux' | 'raw';
  const single = async (who: Contender) => {
    const start = performance.now();
    for (let i = 0; i < singleCount; i++) {
      const t = performance.now();
      if (who === 'cloudmux') {
        await queue.send('bench', body);
        const [message] = await queue.receive('bench');
        await queue.ack('bench', message!);
        latency.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
      } else {
        raw.sendBatch([body]);
        const [message] = raw.receive(1, 60_000);
        raw.ackMany([message!.seq]);
      }
    }
    return singleCount / ((performance.now() - start) / 1000);
  };
  const phases = new Map<Contender, { enqueue: number[]; drain: number[] }>([
    ['cloudmux', { enqueue: [], drain: [] }],
    ['raw', { enqueue: [], drain: [] }],
  ]);
  const batched = async (who: Contender) => {
    const entries = Array.from({ length: batch }, () => ({ body }));
    const bodies = entries.map((e) => e.body);
    const start = performance.now();
    for (let sent = 0; sent < batchedCount; sent += batch) {
      if (who === 'cloudmux') await queue.sendBatch('bench', entries);
      else raw.sendBatch(bodies);
    }
    const enqueued = performance.now();
    for (let drained = 0; drained < batchedCount; ) {
      if (who === 'cloudmux') {
        const messages = await queue.receive('bench', { maxMessages: batch });
        await queue.ackMany('bench', messages);
        drained += messages.length;
      } else {
        const messages = raw.receive(batch, 60_000);
        raw.ackMany(messages.map((m) => m.seq));
        drained += messages.length;
      }
    }
    const end = performance.now();
    phases.get(who)!.enqueue.push(batchedCount / ((enqueued - start) / 1000));
    phases.get(who)!.drain.push(batchedCount / ((end - enqueued) / 1000));
    return batchedCount / ((end - start) / 1000);
  };

  const contenders: Contender[] = ['cloudmux', 'raw'];
  await single('cloudmux');
  await single('raw');
  latency.reset();
  // Queue rounds are short, so they get more of them.
  const singleRates = await interleaved(contenders, single, QUEUE_ROUNDS);
  const batchedRates = await interleaved(contenders, batched, QUEUE_ROUNDS);
  await queue.close();
  raw.close();

  const out = table(
    'Queue (1 KB messages, synchronous=NORMAL, WAL)',
    ['workload', 'cloudmux local queue', 'raw node:sqlite', 'ratio'],
    'Raw node:sqlite is the floor of a queue on SQLite (insert, claim with UPDATE … RETURNING, delete) with the same durability settings and none of the bookkeeping (queue lookups, receipts, dead-lettering, validation, long-poll wake-ups).',
  );
  const rows: Array<[string, string, number, number]> = [
    ['send + receive + ack, one at a time', 'single', singleRates.get('cloudmux')!, singleRates.get('raw')!],
    [
      `send + receive + ack, batches of ${batch}`,
      'batched',
      batchedRates.get('cloudmux')!,
      batchedRates.get('raw')!,
    ],
    [
      `enqueue only, batches of ${batch}`,
      'batched-enqueue',
      median(phases.get('cloudmux')!.enqueue),
      median(phases.get('raw')!.enqueue),
    ],
    [
      `receive + ack only, batches of ${batch}`,
      'batched-receive-ack',
      median(phases.get('cloudmux')!.drain),
      median(phases.get('raw')!.drain),
    ],
  ];
  for (const [label, key, ours, theirs] of rows) {
    record({
      name: `queue.${key}.cloudmux`,
      value: ours,
      unit: 'msg/s',
      ratio: ours / theirs,
      baseline: 'raw node:sqlite',
    });
    record({ name: `queue.${key}.raw-node-sqlite`, value: theirs, unit: 'msg/s' });
    out.rows.push({ cells: [label, format(ours), format(theirs), `${(ours / theirs).toFixed(2)}×`] });
  }
  const p50 = latency.getValueAtPercentile(50) / 1000;
  const p99 = latency.getValueAtPercentile(99) / 1000;
  record({ name: 'queue.single.cycle-latency.p50', value: p50, unit: 'ms' });
  record({ name: 'queue.single.cycle-latency.p99', value: p99, unit: 'ms' });
  out.rows.push({
    cells: [
      'one send + receive + ack, latency p50 / p99',
      `${p50.toFixed(3)} / ${p99.toFixed(3)} ms`,
      '',
      '',
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Warehouse: rows/s loaded from the local object store into DuckDB.

async function benchWarehouse(work: string): Promise<void> {
  const { createFsObjectStore } = await import('../src/fs-object-store/index.ts');
  const { createDuckDbWarehouse } = await import('../src/duckdb-warehouse.ts');
  const store = createFsObjectStore({ root: join(work, 'lake') });
  const warehouse = createDuckDbWarehouse({ file: join(work, 'warehouse.duckdb') });
  const files = 4;
  const rowsPerFile = 50_000;
  const started = Date.parse('2026-01-01T00:00:00Z');
  const row = (i: number) => ({
    id: i,
    name: `customer-${i % 997}`,
    amount: (i % 10_000) / 100,
    ok: i % 3 === 0,
    at: new Date(started + i * 1000).toISOString(),
  });
  for (let f = 0; f < files; f++) {
    const ndjson: string[] = [];
    const csv: string[] = ['id,name,amount,ok,at'];
    for (let i = f * rowsPerFile; i < (f + 1) * rowsPerFile; i++) {
      const r = row(i);
      ndjson.push(JSON.stringify(r));
      csv.push(`${r.id},${r.name},${r.amount},${r.ok},${r.at}`);
    }
    await store.put(`ndjson/part-${f}.ndjson`, `${ndjson.join('\n')}\n`);
    await store.put(`csv/part-${f}.csv`, `${csv.join('\n')}\n`);
  }
  await warehouse.ensureTable('events', {
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'float64' },
      { name: 'ok', type: 'bool' },
      { name: 'at', type: 'timestamp' },
    ],
  });
  const out = table('Warehouse load (DuckDB from the local object store)', [
    'format',
    'rows per load',
    'rows/s',
  ]);
  const formats = ['csv', 'ndjson'] as const;
  const load = async (format: (typeof formats)[number]) => {
    const start = performance.now();
    const result = await warehouse.loadFromObjects('events', {
      source: store,
      prefix: `${format}/`,
      format,
      mode: 'replace',
    });
    if (result.rowsLoaded !== files * rowsPerFile) {
      throw new Error(`${format} load reported ${result.rowsLoaded} rows, expected ${files * rowsPerFile}`);
    }
    return result.rowsLoaded / ((performance.now() - start) / 1000);
  };
  for (const f of formats) await load(f);
  const rates = await interleaved(formats, load);
  for (const f of formats) {
    record({ name: `warehouse.load.${f}`, value: rates.get(f)!, unit: 'rows/s' });
    out.rows.push({ cells: [f.toUpperCase(), format(files * rowsPerFile), format(rates.get(f)!)] });
  }
  await warehouse.close();
  await store.close();
}

// ---------------------------------------------------------------------------------------------
// Meter: the same calls wrapped and unwrapped, alternating, in the same run.

/** One comparison measured in one process. */
interface MeterRow {
  key: string;
  label: string;
  calls: number;
  /** Total CPU with the meter over total without, across all blocks. */
  ratio: number;
  medianPairRatio: number;
  perCallUs: number;
}

/** The meter's comparisons, measured in this process. */
async function measureMeter(work: string): Promise<MeterRow[]> {
  const { createFsObjectStore } = await import('../src/fs-object-store/index.ts');
  const meter = new Meter();
  // No fsync here: disk flushes would drown a sub-microsecond difference in their noise, and the
  // meter's cost does not depend on durability.
  const queue = createSqliteQueue({ file: join(work, 'meter-queue.sqlite'), synchronous: 'OFF' });
  await queue.ensureQueue('meter', { visibilityTimeoutSeconds: 60 });
  const store = createFsObjectStore({ root: join(work, 'meter-objects') });
  const plain = { queue, store };
  // Portable types meter inline: the same drivers under portable types with the meter attached.
  const metered = { queue: portableQueue(queue, { meter }), store: portableObjectStore(store, { meter }) };
  // The control: a second unmetered pair of the same portable types. Its ratio against `plain` is
  // what this method measures when nothing differs: the noise floor of the run.
  const control = { queue: portableQueue(queue), store: portableObjectStore(store) };
  const body = new Uint8Array(randomBytes(1024));
  for (let k = 0; k < 16; k++) await store.put(`m${k}`, body);
  const entries = Array.from({ length: 100 }, () => ({ body }));
  interface Workload {
    label: string;
    key: string;
    calls: number;
    /** Cycles per block, and ABBA pairs of blocks. */
    cycles: number;
    pairs: number;
    cycle(adapters: { queue: Queue; store: ObjectStore }, i: number): Promise<void>;
  }
  const workloads: Workload[] = [
    {
      // The consumer's per-event path, one call per step: the worst case for a per-call cost. A get
      // is two metered calls (get to the first byte, getBody for the body), so five in all.
      label: 'per event: 1 KB get, send + receive + ack',
      key: 'per-event',
      calls: 5,
      cycles: 10,
      pairs: 1500,
      async cycle({ queue: q, store: s }, i) {
        await (await s.get(`m${i % 16}`)).bytes();
        await q.send('meter', body);
        const [message] = await q.receive('meter');
        await q.ack('meter', message!);
      },
    },
    {
      label: 'batched: sendBatch 100 + receive 100 + ackMany',
      key: 'batched',
      calls: 3,
      cycles: 1,
      pairs: 600,
      async cycle({ queue: q }) {
        await q.sendBatch('meter', entries);
        let left = entries.length;
        while (left > 0) {
          const messages = await q.receive('meter', { maxMessages: left });
          await q.ackMany('meter', messages);
          left -= messages.length;
        }
      },
    },
  ];
  const rows: MeterRow[] = [];
  const comparisons = workloads.flatMap((workload) => [
    { workload, wrapped: metered, label: workload.label, key: workload.key },
    ...(workload.key === 'per-event'
      ? [
          {
            workload,
            wrapped: control,
            label: `${workload.label} — control: unmetered vs unmetered`,
            key: 'control',
          },
        ]
      : []),
  ]);
  for (const { workload, wrapped, label, key } of comparisons) {
    // CPU time of this process (all threads), not wall time: the meter's cost is CPU work, and on a
    // shared machine wall time mostly measures the neighbours.
    const block = async (adapters: { queue: Queue; store: ObjectStore }) => {
      const start = process.cpuUsage();
      for (let i = 0; i < workload.cycles; i++) await workload.cycle(adapters, i);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    };
    await block(plain);
    await block(wrapped);
    const ratios = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 100_000_000,
      numberOfSignificantValueDigits: 4,
    });
    let plainMs = 0;
    let wrappedMs = 0;
    const pairs = workload.pairs;
    // Which side goes first is drawn per pair: a fixed ABBA pattern lines up with SQLite's periodic
    // work (a WAL checkpoint every ~160 cycles here) and biased one side by 3–4 % in either
    // direction, the control included.
    for (let p = 0; p < pairs; p++) {
      const wrappedFirst = Math.random() < 0.5;
      const a = await block(wrappedFirst ? wrapped : plain);
      const b = await block(wrappedFirst ? plain : wrapped);
      const [plainBlock, wrappedBlock] = wrappedFirst ? [b, a] : [a, b];
      plainMs += plainBlock;
      wrappedMs += wrappedBlock;
      ratios.recordValue(Math.round((wrappedBlock / plainBlock) * 1_000_000));
    }
    const medianRatio = ratios.getValueAtPercentile(50) / 1_000_000;
    const ratio = wrappedMs / plainMs;
    const calls = pairs * workload.cycles * workload.calls;
    const overheadUs = ((wrappedMs - plainMs) / calls) * 1000;
    rows.push({ key, label, calls, ratio, medianPairRatio: medianRatio, perCallUs: overheadUs });
  }
  await queue.close();
  await store.close();
  return rows;
}

/** Processes the meter's comparison runs in, one after another; the headline is their median. */
const METER_PROCESSES = 3;

/**
 * The meter's figures as the median of METER_PROCESSES separate processes. Within one process the
 * paired blocks cancel the machine's drift, but the same code measured 0.8–2.0 µs a call from one
 * process to the next (JIT decisions, where the heap lands): one process's ratio moves by about the
 * target. Each process is a complete paired comparison with its own control row.
 */
async function benchMeter(work: string): Promise<number> {
  const perProcess: MeterRow[][] = [];
  for (let i = 0; i < METER_PROCESSES; i++) {
    const dir = await mkdtemp(join(work, `meter-${i}-`));
    const { stdout } = await run(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, [METER_CHILD]: dir },
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = stdout.trim().split('\n').at(-1) ?? '';
    perProcess.push(JSON.parse(line) as MeterRow[]);
  }
  const out = table(
    'Meter overhead',
    [
      'workload',
      'calls per process',
      'wrapped / unwrapped (total CPU), median of processes',
      'each process',
      'median of pair ratios',
      'per call',
    ],
    `The same calls on the same adapters, without and with a \`Meter\` (the queue and the object store meter inline in their portable types), in short blocks taken in pairs (a few ms each, the order within each pair drawn at random, so a change of the machine's load or the queue's periodic work hits both sides alike). A process's ratio is its total CPU time (all threads) with the meter over total without, across all blocks: the expected cost per event. The whole comparison runs in ${METER_PROCESSES} separate processes one after another, and the headline is the median of their ratios: between processes the same code moves by about the target (JIT decisions), so one process is not enough. The median of per-pair ratios and the per-call cost are those of the median process. The control row compares two unmetered copies of the same portable types the same way: its distance from 1 is the noise floor of the run.`,
  );
  let headline = Number.NaN;
  for (const [index, first] of perProcess[0]!.entries()) {
    const measured = perProcess.map((rows) => rows[index]!).sort((a, b) => a.ratio - b.ratio);
    const mid = measured[Math.floor(measured.length / 2)]!;
    if (index === 0) headline = mid.ratio;
    record({ name: `meter.overhead.${first.key}.ratio`, value: mid.ratio, unit: 'wrapped/unwrapped' });
    for (const [p, rows] of perProcess.entries())
      record({
        name: `meter.overhead.${first.key}.ratio.process-${p + 1}`,
        value: rows[index]!.ratio,
        unit: 'wrapped/unwrapped',
      });
    record({
      name: `meter.overhead.${first.key}.median-pair-ratio`,
      value: mid.medianPairRatio,
      unit: 'wrapped/unwrapped',
    });
    record({ name: `meter.overhead.${first.key}.per-call`, value: mid.perCallUs, unit: 'µs' });
    out.rows.push({
      cells: [
        first.label,
        format(first.calls),
        mid.ratio.toFixed(4),
        perProcess.map((rows) => rows[index]!.ratio.toFixed(4)).join(', '),
        mid.medianPairRatio.toFixed(4),
        `${mid.perCallUs.toFixed(2)} µs`,
      ],
    });
  }
  return headline;
}

// ---------------------------------------------------------------------------------------------

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${process.platform} ${release()}`,
    node: process.version,
    // Other work on the machine moves every figure; the load when the run began says how much.
    loadAverage1m: Number(startLoad.toFixed(2)),
  };
}

function markdown(meterOverheadRatio: number | undefined, generatedAt: string): string {
  const m = machine();
  const lines = [
    '<!-- bench:local:start -->',
    '## Local adapters',
    '',
    `Generated by \`pnpm bench\` (\`node --conditions=@cloudmux/source bench/local.bench.ts\` in \`packages/local\`) at ${generatedAt}; do not edit by hand.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} when the run began. Each figure is the median of ${ROUNDS} rounds (queue: ${QUEUE_ROUNDS}) in which the peers take turns; ratios compare peers within the same run. The machine is shared, so runs differ by several per cent.`,
    '',
  ];
  for (const [title, t] of Object.entries(tables)) {
    lines.push(`### ${title}`, '');
    if (t.note) lines.push(t.note, '');
    lines.push(`| ${t.header.join(' | ')} |`, `|${t.header.map(() => ' --- ').join('|')}|`);
    for (const row of t.rows) lines.push(`| ${row.cells.join(' | ')} |`);
    lines.push('');
  }
  if (meterOverheadRatio !== undefined) {
    lines.push(`Meter overhead ratio: **${meterOverheadRatio.toFixed(4)}** (target < 1.01).`, '');
  }
  lines.push('<!-- bench:local:end -->');
  return lines.join('\n');
}

async function writeReports(meterOverheadRatio: number | undefined): Promise<void> {
  const generatedAt = new Date().toISOString();
  const report = {
    results,
    meterOverheadRatio,
    machine: machine(),
    command: 'pnpm bench',
    generatedAt,
  };
  await mkdir(join(REPO_ROOT, '.reports'), { recursive: true });
  await writeFile(join(REPO_ROOT, '.reports', 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  const file = join(REPO_ROOT, 'BENCHMARKS.md');
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '# Benchmarks\n';
    throw error;
  });
  const section = markdown(meterOverheadRatio, generatedAt);
  const pattern = /<!-- bench:local:start -->[\s\S]*?<!-- bench:local:end -->/;
  const updated = pattern.test(existing)
    ? existing.replace(pattern, () => section)
    : `${existing.trimEnd()}\n\n${section}\n`;
  await writeFile(file, updated);
  console.log(`\nwrote .reports/bench.json and the local section of BENCHMARKS.md`);
}

async function main(): Promise<void> {
  const meterChild = process.env[METER_CHILD];
  if (meterChild) {
    // One process of the meter's comparison: its rows as the last line of stdout, nothing written.
    console.log(JSON.stringify(await measureMeter(meterChild)));
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'cloudmux-bench-'));
  const started = performance.now();
  let meterOverheadRatio: number | undefined;
  try {
    // Object writes leave the most dirty pages behind for the kernel to flush, so they go last.
    if (runs('queue')) await benchQueue(work);
    if (runs('meter')) meterOverheadRatio = await benchMeter(work);
    if (runs('warehouse')) await benchWarehouse(work);
    if (runs('objects')) await benchObjects(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nbench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (only) console.log('BENCH_ONLY is set: reports not written');
  else await writeReports(meterOverheadRatio);
}

await main();
