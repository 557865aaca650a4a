/**
 * `pnpm contract`: runs the contract test files (`test/<provider>.<interface>.contract.test.ts`)
 * through vitest's Node API, writes `.reports/contract.json` at the repo root and regenerates
 * `docs/capabilities.md` from it. `PROVIDERS=local,aws` limits the run to those providers,
 * `INTERFACES=secretStore,queue` to those interfaces. Exits non-zero when any case failed.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestModule } from 'vitest/node';
import { startVitest } from 'vitest/node';
import { renderCapabilitiesMarkdown } from './report/capabilities-md.ts';
import { buildContractReport, CONTRACT_FILE, parseContractFileName } from './report/contract-report.ts';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '..');

const listFromEnv = (name: string) =>
  (process.env[name] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
const providers = listFromEnv('PROVIDERS');
const interfaces = listFromEnv('INTERFACES');

const files = (await readdir(join(packageDir, 'test')))
  .filter((file) => CONTRACT_FILE.test(file))
  .filter((file) => providers.length === 0 || providers.includes(parseContractFileName(file)?.provider ?? ''))
  .filter(
    (file) => interfaces.length === 0 || interfaces.includes(parseContractFileName(file)?.interface ?? ''),
  )
  .sort()
  .map((file) => join(packageDir, 'test', file));

const unknown = providers.filter(
  (provider) => !files.some((file) => parseContractFileName(file)?.provider === provider),
);
if (unknown.length > 0)
  console.warn(`contract: no contract test files for PROVIDERS entries: ${unknown.join(', ')}`);

let finished: readonly TestModule[] = [];
let unhandledErrors = 0;
const collector: Reporter = {
  onTestRunEnd(modules, errors) {
    finished = modules;
    unhandledErrors = errors.length;
  },
};

if (files.length > 0) {
  const vitest = await startVitest(files, {
    root: packageDir,
    run: true,
    watch: false,
    reporters: ['verbose', collector],
  });
  await vitest.close();
}

const report = buildContractReport(finished);
const command = [
  providers.length > 0 ? `PROVIDERS=${providers.join(',')}` : '',
  interfaces.length > 0 ? `INTERFACES=${interfaces.join(',')}` : '',
  'pnpm contract',
]
  .filter(Boolean)
  .join(' ');
await mkdir(join(repoRoot, '.reports'), { recursive: true });
await writeFile(join(repoRoot, '.reports', 'contract.json'), `${JSON.stringify(report, null, 2)}\n`);
await mkdir(join(repoRoot, 'docs'), { recursive: true });
await writeFile(join(repoRoot, 'docs', 'capabilities.md'), renderCapabilitiesMarkdown(report, { command }));

const failed = report.results.reduce((sum, r) => sum + r.failed, 0);
const passed = report.results.reduce((sum, r) => sum + r.passed, 0);
const skipped = report.results.reduce((sum, r) => sum + r.skipped, 0);
console.log(
  `contract: ${report.results.length} suite result(s): ${passed} passed, ${failed} failed, ${skipped} skipped` +
    `${unhandledErrors ? `, ${unhandledErrors} unhandled error(s)` : ''}; wrote .reports/contract.json and docs/capabilities.md`,
);
process.exitCode = failed > 0 || unhandledErrors > 0 ? 1 : 0;
