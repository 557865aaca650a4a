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
 * a file so the terminal shows only what stderr carries. Returns the terminal text without colours
 * and cursor movements, one entry per line, and stdout.
 */
async function runOnTerminal(
  dir: string,
  extra: string[] = [],
): Promise<{ lines: string[]; stdout: string }> {
  const stdoutFile = join(dir, 'stdout.txt');
  const command = `stty cols 80 rows 40; exec ${[process.execPath, ...runArgs(dir, extra)].map(shellQuote).join(' ')} > ${shellQuote(stdoutFile)}`;
  const { stdout: terminal } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, INIT_CWD: dir },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = terminal
    // A cursor movement starts a new line (a redraw moves to a line's start before it writes); text
    // written across a bar without one stays on the bar's line, where the test finds it.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point
    .replace(/\x1b\[[0-9;]*[ABEFGH]/g, '\n')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '')
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);
  return { lines, stdout: await readFile(stdoutFile, 'utf8') };
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
    const bars = lines.flatMap((line) => {
      const match = bar.exec(line);
      return match
        ? [{ stage: match[1], value: Number(match[2]), total: Number(match[3]), rate: match[4] }]
        : [];
    });
    for (const stage of ['ingest', 'speed']) {
      const drawn = bars.filter((entry) => entry.stage === stage);
      expect(drawn.length, stage).toBeGreaterThan(0);
      expect(
        drawn.every((entry) => entry.total === EVENTS),
        stage,
      ).toBe(true);
    }
    // Once a stage has moved past its first report the bar shows a measured rate.
    expect(bars.some((entry) => /^\d[\d,]*$/.test(entry.rate!) && entry.rate !== '0')).toBe(true);
    // Log lines, the consumers' included, print above the bars, never on a bar's line.
    expect(lines.filter((line) => /events\/s.*\[\d\d:\d\d:\d\d\]/.test(line))).toEqual([]);
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
