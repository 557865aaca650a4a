import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * Replaces the section between `start` and `end` in the repo's BENCHMARKS.md (or appends it), so
 * each benchmark rewrites only its own figures.
 */
export async function writeBenchmarksSection(
  root: string,
  start: string,
  end: string,
  lines: string[],
): Promise<void> {
  const file = join(root, 'BENCHMARKS.md');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n';
  const section = [start, ...lines, end].join('\n');
  const from = existing.indexOf(start);
  const to = existing.indexOf(end);
  const next =
    from !== -1 && to > from
      ? existing.slice(0, from) + section + existing.slice(to + end.length)
      : `${existing.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

/** The machine a benchmark ran on; the machine is shared, so the 1-minute load average says how much else ran. */
export function benchMachine(loadAtStart: number) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1e9),
    node: process.version,
    loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 },
  };
}
