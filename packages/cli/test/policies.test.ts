import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POLICIES_DIR } from '../src/policies/generate.ts';
import { renderPolicies } from '../src/policies/render.ts';
import { POLICY_TABLE } from '../src/policies/table.ts';
import { adapterDir, type Cloud, scanAdapterCalls } from './policy-scan.ts';

const CLOUDS: Cloud[] = ['aws', 'gcp', 'azure'];

describe("the policy table against the adapters' sources", () => {
  for (const cloud of CLOUDS) {
    it(`${cloud}: every SDK call in the adapters has a row`, async () => {
      const scanned = await scanAdapterCalls(cloud);
      const missing: string[] = [];
      for (const [file, calls] of scanned) {
        for (const call of calls) {
          if (!POLICY_TABLE.some((row) => row.cloud === cloud && row.file === file && row.call === call)) {
            missing.push(`${file}: ${call}`);
          }
        }
      }
      expect(missing).toEqual([]);
      expect(scanned.size).toBeGreaterThan(0);
    });

    it(`${cloud}: every row is a call some adapter still makes`, () => {
      const stale = POLICY_TABLE.filter((row) => row.cloud === cloud).filter((row) => {
        const source = readFileSync(`${adapterDir(cloud)}/${row.file}`, 'utf8');
        const pattern =
          cloud === 'aws'
            ? new RegExp(row.call === 'getSignedUrl' ? '\\bgetSignedUrl\\(' : `new ${row.call}\\(`)
            : new RegExp(`\\.${row.call}\\(`);
        return !pattern.test(source);
      });
      expect(stale.map((row) => `${row.file}: ${row.call}`)).toEqual([]);
    });
  }

  it('every row that makes a request names at least one permission', () => {
    const requestCalls = POLICY_TABLE.filter((row) => !row.permissions.length && !row.note);
    expect(requestCalls.map((row) => `${row.cloud} ${row.call}`)).toEqual([]);
  });

  it('docs/policies is what the table renders (regenerate with pnpm --filter @cloudmux/cli run policies)', () => {
    for (const [name, content] of renderPolicies()) {
      expect(readFileSync(`${POLICIES_DIR}${name}`, 'utf8'), name).toBe(content);
    }
  });
});
