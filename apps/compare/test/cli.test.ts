import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../src/report.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-compare-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `compare` as a user runs it (a child process), with a cheap micro-benchmark setting. */
function compare(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--conditions=@cloudmux/source', CLI, ...args], {
    cwd: dir,
    env: { ...process.env, INIT_CWD: dir, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}
const quick = ['--no-pipeline', '--iterations', '2', '--warmup', '1'];
// An unreadable live config makes the cloud's environment fail to open: a real skip, with a reason.
const brokenAws = { CLOUDMUX_COMPARE_AWS_CONFIG: '/nonexistent/cloudmux.config.json' };

describe('compare CLI', () => {
  it('refuses to render a results.json of another schema version, naming the field', async () => {
    const file = join(dir, 'v1.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 1, providers: [] }));
    await expect(readResults(file)).rejects.toMatchObject({ code: 'InvalidArgument' });
    const run = compare(['render', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/schemaVersion/);
  });

  it('rejects an unknown provider before anything runs, naming the known ones', () => {
    const out = join(dir, 'unknown');
    const run = compare(['run', '--providers', 'local,nosuch', '--out', out, ...quick]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/'nosuch'.*local, aws, gcp, azure, selfhosted/);
    expect(run.stderr).not.toMatch(/\[local\] starting/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a negative machine-hour price before anything runs', () => {
    const run = compare(['run', '--providers', 'local', '--machine-hour-usd', '-1', ...quick]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--machine-hour-usd.*expected a number ≥ 0/);
    expect(run.stderr).not.toMatch(/\[local\] starting/);
  });

  it('suggests the option meant on a typo', () => {
    const run = compare(['run', '--itertions', '3']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Did you mean --iterations\?/);
  });

  it('exits non-zero when a requested provider is skipped, and 0 with --allow-skip', async () => {
    const strict = compare(
      ['run', '--providers', 'local,aws', '--out', join(dir, 'strict'), ...quick],
      brokenAws,
    );
    expect(strict.status).toBe(1);
    expect(strict.stdout).toMatch(/aws\s+skipped: cannot load/);
    const written = await readResults(join(dir, 'strict', 'results.json'));
    expect(written.skipped.map((s) => s.name)).toEqual(['aws']);
    expect(written.providers.map((p) => p.name)).toEqual(['local']);

    const allowed = compare(
      ['run', '--providers', 'local,aws', '--allow-skip', '--out', join(dir, 'allowed'), ...quick],
      brokenAws,
    );
    expect(allowed.status).toBe(0);
  }, 240_000);

  it('exits non-zero when every requested provider was skipped, even with --allow-skip', () => {
    const run = compare(
      ['run', '--providers', 'aws', '--allow-skip', '--out', join(dir, 'none'), ...quick],
      brokenAws,
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no requested provider ran/);
  });
});
