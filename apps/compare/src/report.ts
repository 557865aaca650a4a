import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudmuxError } from '@cloudmux/core';
import { renderHtml } from './render/html.ts';
import { renderMarkdown } from './render/markdown.ts';
import { type Results, resultsSchema, SCHEMA_VERSION } from './results.ts';

/** Writes results.json, report.md and report.html into `dir`. */
export async function writeReport(
  results: Results,
  dir: string,
): Promise<{ json: string; markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = {
    json: join(dir, 'results.json'),
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
  };
  await writeFile(paths.json, `${JSON.stringify(resultsSchema.parse(results), null, 2)}\n`);
  await writeFile(paths.markdown, renderMarkdown(results));
  await writeFile(paths.html, renderHtml(results));
  return paths;
}

/** Reads and validates a results.json (any schema mismatch names the field). */
export async function readResults(file: string): Promise<Results> {
  const parsed = resultsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: 'readResults',
      message: `${file} is not a cloudmux results document of schema version ${SCHEMA_VERSION}: ${issue.path.join('.') || '(root)'}: ${issue.message}${issue.path[0] === 'schemaVersion' ? ' (re-run compare run to produce this version)' : ''}`,
    });
  }
  return parsed.data;
}
