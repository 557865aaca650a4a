/**
 * Memory of `pipeline serve` under concurrent ingest (a measurement, not a test): starts the CLI's
 * `serve` as its own process on the local provider in a temporary directory, reads its RSS from
 * /proc idle, then sends 200 concurrent POST /events of 1,000 events each (clients honour 503 +
 * Retry-After and send again), sampling the server's RSS every 25 ms, and reports idle, peak and
 * settled RSS with the answers. Usage:
 *   node --conditions=@cloudmux/source bench/serve-memory.ts [--cli <path to src/cli.ts>] [--requests 200]
 * (--cli lets the same load run against another checkout, e.g. before a change.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openPipeline } from '../src/context.ts';
import { LAYOUT } from '../src/layout.ts';

const rssMb = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200 || response.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('serve did not come up within 60 s');
}

export interface ServeMemoryOptions {
  /** The CLI to start (another checkout's, to compare before and after a change). */
  cli?: string;
  requests?: number;
  eventsPerRequest?: number;
}

export interface ServeMemoryReport {
  cli: string;
  requests: number;
  eventsPerRequest: number;
  bodyBytes: number;
  answers: Record<string, number>;
  seconds: number;
  rssMb: { idle: number; peak: number; settledAfter3s: number };
}

/** Starts `serve`, sends the concurrent requests, and reports its RSS idle, at peak and settled. */
export async function measureServeMemory(options: ServeMemoryOptions = {}): Promise<ServeMemoryReport> {
  const cli = options.cli ?? fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const requests = options.requests ?? 200;
  const eventsPerRequest = options.eventsPerRequest ?? 1_000;
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-ingest-memory-'));
  const config = join(dir, 'cloudmux.config.json');
  await writeFile(config, '{}\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      '--conditions=@cloudmux/source',
      '--no-warnings',
      cli,
      'serve',
      '--provider',
      'local',
      '--config',
      config,
      '--port',
      String(port),
    ],
    { cwd: dir, env: { ...process.env, INIT_CWD: dir }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await waitForHealth(url, child);
    const { resources } = await openPipeline({ baseDir: dir, provider: 'local' }, ['secretStore']);
    const apiKey = (await resources.secretStore.get(LAYOUT.apiKeySecret)).reveal();
    await resources.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const pid = child.pid!;
    const idle = rssMb(pid);
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 25);
    const statuses = new Map<number, number>();
    const started = performance.now();
    // One body for every request: the client's memory stays small whatever the body size.
    const body = JSON.stringify(
      Array.from({ length: eventsPerRequest }, (_, i) => ({
        id: `m-${i}`,
        ts: Date.parse('2001-01-01T00:00:00Z') + i * 60_000,
        delay: i % 60,
        distance: 300 + i,
        origin: 'LAX',
        destination: 'SFO',
      })),
    );
    const bodyBytes = Buffer.byteLength(body);
    await Promise.all(
      Array.from({ length: requests }, async () => {
        for (;;) {
          const response = await fetch(`${url}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
            body,
          });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status !== 503) return;
          await new Promise((resolve) =>
            setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000),
          );
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const settled = rssMb(pid);
    return {
      cli,
      requests,
      eventsPerRequest,
      bodyBytes,
      answers: Object.fromEntries(statuses),
      seconds: Number(seconds.toFixed(2)),
      rssMb: { idle, peak, settledAfter3s: settled },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      cli: { type: 'string' },
      requests: { type: 'string', default: '200' },
      events: { type: 'string', default: '1000' },
    },
  });
  const report = await measureServeMemory({
    ...(values.cli ? { cli: values.cli } : {}),
    requests: Number(values.requests),
    eventsPerRequest: Number(values.events),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
