import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeConfig } from './helpers.ts';

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bin exactly as `./dev cloudmux …` runs it: node directly, stdout a pipe (so logs are JSON). */
function cloudmux(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@cloudmux/source', '--no-warnings=ExperimentalWarning', BIN, ...args],
      { cwd, env: { ...process.env, INIT_CWD: cwd }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the cloudmux bin', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.remove();
  });

  it('an unknown command exits 2 with a suggestion', async () => {
    const run = await cloudmux(['doctr'], tmp.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(Did you mean doctor?)');
  });

  it('a bad option value exits 2, in mounted app commands too', async () => {
    expect((await cloudmux(['doctor', '--provider', 'ibm'], tmp.dir)).code).toBe(2);
    expect((await cloudmux(['pipeline', 'run', '--events', 'many'], tmp.dir)).code).toBe(2);
  });

  it('a failing command prints one JSON error line with its code when piped, and exits 1', async () => {
    const run = await cloudmux(['teardown', '--provider', 'aws', '--config', 'missing.json'], tmp.dir);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { level: number; code: string; field: string };
    expect(line.code).toBe('InvalidArgument');
    expect(line.field).toBe('providers.aws');
  });

  it('doctor exits 0 on a sound local config and 1 with every config problem listed', async () => {
    await writeConfig(tmp.dir, { resources: { objectStore: 'local' } }, 'good.json');
    const good = await cloudmux(['doctor', '--config', 'good.json'], tmp.dir);
    expect(good.code).toBe(0);
    expect((JSON.parse(good.stdout) as { ok: boolean }).ok).toBe(true);

    await writeConfig(
      tmp.dir,
      { resources: { objectStore: 'local', queues: 'aws' }, meter: { timeoutMs: -5 } },
      'bad.json',
    );
    const bad = await cloudmux(['doctor', '--config', 'bad.json'], tmp.dir);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as {
      ok: boolean;
      checks: Array<{ check: string; status: string; fix?: string }>;
    };
    const problems = report.checks.filter((c) => c.check === 'config' && c.status === 'problem');
    expect(problems).toHaveLength(2);
    for (const p of problems) expect(p.fix).toBeTruthy();
  });

  it('./dev cloudmux runs the bin without pnpm: the failure is the last line, no ELIFECYCLE', async () => {
    const dev = fileURLToPath(new URL('../../../dev', import.meta.url));
    const run = await new Promise<Run>((resolve) => {
      execFile(
        'bash',
        [dev, 'cloudmux', 'teardown', '--provider', 'gcp', '--config', 'missing.json'],
        { cwd: tmp.dir, timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('ELIFECYCLE');
    const last = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { code: string; field: string };
    expect(last).toMatchObject({ code: 'InvalidArgument', field: 'providers.gcp' });
  });

  it("mounts the pipeline app's own commands", async () => {
    const run = await cloudmux(['pipeline', '--help'], tmp.dir);
    expect(run.code).toBe(0);
    for (const command of ['run', 'serve', 'replay', 'consume', 'batch', 'status']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it("mounts the compare app's own commands, with its suggestions", async () => {
    const help = await cloudmux(['compare', '--help'], tmp.dir);
    expect(help.code).toBe(0);
    for (const command of ['run', 'render']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const typo = await cloudmux(['compare', 'rnu'], tmp.dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('(Did you mean run?)');
  });
});
