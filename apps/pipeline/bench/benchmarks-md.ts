import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
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
