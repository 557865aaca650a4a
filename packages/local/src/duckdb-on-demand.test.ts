import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('../test/fixtures/optional-duckdb-probe.ts', import.meta.url));
const HIDE = fileURLToPath(new URL('../test/fixtures/hide-package.mjs', import.meta.url));

let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'cloudmux-duckdb-optional-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

/** Runs the probe in a Node process of its own; `hideDuckDb` makes `@duckdb/node-api` unresolvable. */
async function probe(hideDuckDb: boolean): Promise<Record<string, Record<string, unknown>>> {
  const args = ['--conditions=@cloudmux/source', '--no-warnings', ...(hideDuckDb ? ['--import', HIDE] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, [...args, PROBE, state], {
    cwd: PACKAGE_DIR,
    timeout: 60_000,
    env: { ...process.env, CLOUDMUX_HIDE_PACKAGE: '@duckdb/node-api' },
  });
  return JSON.parse(stdout);
}

describe('DuckDB is an optional peer dependency', () => {
  it('without @duckdb/node-api: the package imports, object store and queue work, the warehouse names the package', async () => {
    const results = await probe(true);
    expect(results['objectStore+queue']).toEqual({ ok: true });
    const missing = {
      name: 'MissingOptionalDependencyError',
      code: 'Unsupported',
      packageName: '@duckdb/node-api',
      causeCode: 'ERR_MODULE_NOT_FOUND',
    };
    expect(results['openResources.warehouse']).toEqual(missing);
    expect(results['createDuckDbWarehouse.query']).toEqual(missing);
  });

  it('with it installed the same program opens and queries the warehouse', async () => {
    const results = await probe(false);
    expect(results).toEqual({
      'objectStore+queue': { ok: true },
      'openResources.warehouse': { ok: true },
      'createDuckDbWarehouse.query': { ok: true },
    });
  });
});
