import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TestModule } from 'vitest/node';
import { startVitest } from 'vitest/node';
import { renderCapabilitiesMarkdown } from './capabilities-md.ts';
import { buildContractReport, type ContractReport, parseContractFileName } from './contract-report.ts';

const packageDir = resolve(fileURLToPath(import.meta.url), '../../..');

/** Runs the fixture contract files through a real vitest run and returns the finished modules. */
async function runFixtures(): Promise<readonly TestModule[]> {
  let modules: readonly TestModule[] = [];
  const exitCode = process.exitCode;
  const vitest = await startVitest([], {
    root: join(packageDir, 'fixtures', 'report'),
    config: join(packageDir, 'vitest.config.ts'),
    include: ['*.contract.test.ts'],
    run: true,
    watch: false,
    reporters: [
      {
        onTestRunEnd(finished) {
          modules = finished;
        },
      },
    ],
  });
  await vitest.close();
  // The fixture has a failing case on purpose; it must not fail this run.
  process.exitCode = exitCode;
  return modules;
}

describe('contract report', () => {
  it('parses <provider>.<interface>.contract.test.ts file names', () => {
    expect(parseContractFileName('/x/test/aws.secret-store.contract.test.ts')).toEqual({
      provider: 'aws',
      interface: 'secretStore',
    });
    expect(parseContractFileName('local.object-store.contract.test.ts')?.interface).toBe('objectStore');
    expect(parseContractFileName('azure.blob.test.ts')).toBeUndefined();
    expect(parseContractFileName('gcp.unknown.contract.test.ts')).toBeUndefined();
  });

  it('builds one result per suite from a real run: passes, failures, gaps, static skips, unavailable, no cases', async () => {
    const report = buildContractReport(await runFixtures(), new Date('2026-01-02T03:04:05Z'));
    expect(report.generatedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(report.results).toEqual([
      {
        provider: 'demo',
        interface: 'queue',
        endpoint: 'emulator:fake',
        passed: 1,
        failed: 1,
        skipped: 2,
        skips: [
          { case: 'dead letters', reason: 'endpoint gap (deadLetter): the fake emulator never dead-letters' },
          {
            case: 'statically skipped',
            reason: 'skipped without a reason (a static .skip): give it one with skipWithReason',
          },
        ],
        capabilities: { fifo: true, longPoll: false, deadLetter: false },
      },
      {
        provider: 'empty',
        interface: 'warehouse',
        endpoint: 'unknown',
        // vitest fails a file without cases ("No test suite found"), so it counts as a failure.
        passed: 0,
        failed: 1,
        skipped: 0,
        skips: [],
        capabilities: {},
      },
      {
        provider: 'gone',
        interface: 'secretStore',
        endpoint: 'emulator:none',
        passed: 0,
        failed: 0,
        skipped: 1,
        skips: [{ case: '(whole suite)', reason: 'suite unavailable: no emulator here' }],
        capabilities: {},
      },
    ]);
  });
});

describe('capabilities.md', () => {
  const report: ContractReport = {
    generatedAt: '2026-01-02T03:04:05.000Z',
    results: [
      {
        provider: 'local',
        interface: 'secretStore',
        endpoint: 'embedded',
        passed: 18,
        failed: 0,
        skipped: 0,
        skips: [],
        capabilities: { versions: true, binaryValues: true, softDelete: false },
      },
      {
        provider: 'azure',
        interface: 'secretStore',
        endpoint: 'emulator:kv',
        passed: 15,
        failed: 1,
        skipped: 1,
        skips: [
          { case: 'binary values', reason: 'endpoint gap (binaryValues): the test server | stores text' },
        ],
        capabilities: { versions: true, binaryValues: false, softDelete: true },
      },
      {
        provider: 'gcp',
        interface: 'secretStore',
        endpoint: 'emulator:none',
        passed: 0,
        failed: 0,
        skipped: 1,
        skips: [{ case: '(whole suite)', reason: 'suite unavailable: no emulator' }],
        capabilities: {},
      },
    ],
  };
  const markdown = renderCapabilitiesMarkdown(report, { command: 'PROVIDERS=local,azure,gcp pnpm contract' });
  const row = (name: string) => markdown.split('\n').find((line) => line.startsWith(`| ${name} |`));

  it('marks supported, unsupported, gaps, failures and unavailable suites', () => {
    expect(row('capability')).toBe(
      '| capability | local (embedded) | azure (emulator:kv) | gcp (emulator:none) |',
    );
    expect(row('versions')).toBe('| versions | ✅ | ❗ | ➖ |');
    expect(row('binaryValues')).toBe('| binaryValues | ✅ | ⚠️[^2] | ➖ |');
    expect(row('softDelete')).toBe('| softDelete | ❌ | ❗ | ➖ |');
    expect(row('*suite*')).toBe('| *suite* | ran | ❗ failures | ➖ not run[^1] |');
    expect(row('**cases passed / failed / skipped**')).toBe(
      '| **cases passed / failed / skipped** | 18 / 0 / 0 | 15 / 1 / 1 | 0 / 0 / 1 |',
    );
  });

  it('lists every skip with its reason, the notes, the time and the command', () => {
    expect(markdown).toContain(
      'Generated 2026-01-02T03:04:05.000Z by `PROVIDERS=local,azure,gcp pnpm contract`',
    );
    expect(markdown).toContain(
      '- **azure (emulator:kv)** — binary values: endpoint gap (binaryValues): the test server \\| stores text',
    );
    expect(markdown).toContain('- **gcp (emulator:none)** — (whole suite): suite unavailable: no emulator');
    expect(markdown).toContain('[^1]: gcp (emulator:none): suite unavailable: no emulator');
    expect(markdown).toContain('[^2]: azure (emulator:kv), binaryValues: the test server \\| stores text');
  });
});
