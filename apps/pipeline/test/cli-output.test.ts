/**
 * What `pipeline run` prints on stderr, seen from outside: JSON lines when stderr is a pipe or with
 * --json (the consumer processes too), human-readable lines and bars with a rate and ETA on a
 * terminal, and one timed line — not a bar — per stage that has no progress to show.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import xterm from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const EVENTS = 20_000;
const BATCH_STAGES = ['dead-letters', 'load', 'quality', 'views', 'compact-speed', 'catalog'];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-cli-output-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'cloudmux.config.json'), '{}\n');
  return dir;
}

const runArgs = (dir: string, extra: string[] = []) => [
  '--conditions=@cloudmux/source',
  '--no-warnings',
  CLI,
  'run',
  '--provider',
  'local',
  '--config',
  join(dir, 'cloudmux.config.json'),
  '--events',
  String(EVENTS),
  '--inject-invalid',
  '0',
  ...extra,
];

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const NO_TERMINAL = 'util-linux `script` is not installed: no pseudo-terminal to run the CLI on';

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI with stderr on a pseudo-terminal of 80 columns (util-linux `script`); stdout goes to
 * a file so the terminal shows only what stderr carries. The bytes are played into a headless
 * terminal (xterm.js), so the lines returned are what a person sees at the end — scrollback
 * included, wrapped lines joined — after every redraw, cursor movement and overwrite.
 */
async function runOnTerminal(
  dir: string,
  extra: string[] = [],
): Promise<{ lines: string[]; stdout: string }> {
  const stdoutFile = join(dir, 'stdout.txt');
  const command = `stty cols 80 rows 40; exec ${[process.execPath, ...runArgs(dir, extra)].map(shellQuote).join(' ')} > ${shellQuote(stdoutFile)}`;
  const { stdout: bytes } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, INIT_CWD: dir },
    maxBuffer: 64 * 1024 * 1024,
  });
  const terminal = new xterm.Terminal({ cols: 80, rows: 40, scrollback: 100_000, allowProposedApi: true });
  await new Promise<void>((resolve) => terminal.write(bytes, resolve));
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < buffer.length; row++) {
    const line = buffer.getLine(row);
    if (!line) continue;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  terminal.dispose();
  return {
    lines: lines.map((line) => line.trimEnd()).filter(Boolean),
    stdout: await readFile(stdoutFile, 'utf8'),
  };
}

interface LogRecord {
  time: string;
  level: string;
  event: string;
  stage?: string;
  seconds?: number;
  pid?: number;
}

function parseJsonLines(lines: string[]): LogRecord[] {
  return lines.map((line) => {
    const record = JSON.parse(line) as LogRecord;
    expect(record).toMatchObject({
      time: expect.any(String),
      level: expect.any(String),
      event: expect.any(String),
    });
    return record;
  });
}

/** One timed stage-done record per batch stage and for serve; no `1/1` progress. */
function expectTimedStages(records: LogRecord[]): void {
  const done = records.filter((record) => record.event === 'stage-done');
  for (const stage of [...BATCH_STAGES.map((name) => `batch:${name}`), 'serve']) {
    const matching = done.filter((record) => record.stage === stage);
    expect(matching, stage).toHaveLength(1);
    expect(matching[0]!.seconds, stage).toEqual(expect.any(Number));
  }
}

describe('pipeline run output', () => {
  it('reads cloudmux.config.json in the directory it was started from when --config is not given', async () => {
    const dir = await freshDir();
    // An unknown key: a config that is read fails at once, naming the field.
    await writeFile(join(dir, 'cloudmux.config.json'), JSON.stringify({ resources: { bucket: 'x' } }));
    const args = runArgs(dir).filter((arg, i, all) => arg !== '--config' && all[i - 1] !== '--config');
    const failure = await promisify(execFile)(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, INIT_CWD: dir, CLOUDMUX_CONFIG: '' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const records = parseJsonLines(failure!.stderr.split('\n').filter(Boolean));
    expect(records.at(-1)).toMatchObject({
      event: 'pipeline-failed',
      code: 'InvalidArgument',
      field: 'resources.bucket',
    });
  });

  it('writes JSON lines, the consumers’ included, when stderr is not a terminal', async () => {
    const dir = await freshDir();
    const { stderr } = await promisify(execFile)(process.execPath, runArgs(dir), {
      cwd: dir,
      env: { ...process.env, INIT_CWD: dir },
      maxBuffer: 64 * 1024 * 1024,
    });
    const records = parseJsonLines(stderr.split('\n').filter(Boolean));
    // Written by the consumer processes, which carry their pid.
    expect(records.filter((record) => record.event === 'consumer-started')).toHaveLength(2);
    expectTimedStages(records);
    expect(stderr).not.toContain('events/s');
  }, 120_000);

  it('writes human-readable lines and bars with rate and ETA on a terminal', async (ctx) => {
    if (!hasScript) ctx.skip(NO_TERMINAL);
    const dir = await freshDir();
    const { lines, stdout } = await runOnTerminal(dir);
    expect(stdout).toContain('reconciled: yes');
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    // The consumer processes inherit the format: their lines name their pid.
    expect(
      lines.filter((line) => /^\[\d\d:\d\d:\d\d\] INFO \(\d+\): consumer-started /.test(line)),
    ).toHaveLength(2);
    for (const stage of [...BATCH_STAGES.map((name) => `batch:${name}`), 'serve']) {
      const pattern = new RegExp(
        `^\\[\\d\\d:\\d\\d:\\d\\d\\] INFO: stage-done \\{"stage":"${stage}","seconds":\\d+(\\.\\d+)?\\}$`,
      );
      expect(
        lines.filter((line) => pattern.test(line)),
        stage,
      ).toHaveLength(1);
    }
    const bar =
      /^ (ingest|speed) +\|[█░]{20}\| (\d+)\/(\d+) \| ([\d,]+|-) events\/s \| ETA (\d+s|\d+m\d\ds|-)$/;
    const bars = lines.flatMap((line, row) => {
      const match = bar.exec(line);
      return match
        ? [{ stage: match[1], value: Number(match[2]), total: Number(match[3]), rate: match[4], row }]
        : [];
    });
    // Redrawn in place: each bar is on the screen once, complete, the two together, with log lines
    // (the consumers' included) above them, whole.
    for (const stage of ['ingest', 'speed']) {
      const drawn = bars.filter((entry) => entry.stage === stage);
      expect(drawn, stage).toHaveLength(1);
      expect(drawn[0], stage).toMatchObject({ value: EVENTS, total: EVENTS });
    }
    expect(bars[1]!.row).toBe(bars[0]!.row + 1);
    // The speed layer reports per message, so its rate is measured: a number of events per second.
    expect(bars.find((entry) => entry.stage === 'speed')!.rate).toMatch(/^[1-9][\d,]*$/);
    const finished = lines.filter((line) => line.includes('consumer-finished'));
    expect(finished).toHaveLength(2);
    for (const line of finished)
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] INFO \(\d+\): consumer-finished \{.*\}$/);
    // Stages without progress get no bar.
    expect(lines.filter((line) => /\b1\/1\b/.test(line))).toEqual([]);
  }, 120_000);

  it('writes JSON lines with --json even on a terminal, the consumers’ included', async (ctx) => {
    if (!hasScript) ctx.skip(NO_TERMINAL);
    const dir = await freshDir();
    const { lines, stdout } = await runOnTerminal(dir, ['--json']);
    expect(JSON.parse(stdout)).toMatchObject({ reconciled: true });
    const records = parseJsonLines(lines);
    expect(records.filter((record) => record.event === 'consumer-started')).toHaveLength(2);
    expectTimedStages(records);
  }, 120_000);
});
