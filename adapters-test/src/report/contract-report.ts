/**
 * Turns vitest's results for the contract test files into `.reports/contract.json`: one result per
 * provider × interface × endpoint, from the `contract` and `skipReason` metadata each case records.
 */
import { basename } from 'node:path';
import type { ContractMeta, Endpoint } from '@cloudmux/conformance';
import { BUILTIN_PROVIDERS, RESOURCE_NAMES, type ResourceName } from '@cloudmux/core';
import type { TestCase, TestModule } from 'vitest/node';

export interface ContractSkip {
  case: string;
  reason: string;
}

export interface ContractResult {
  provider: string;
  interface: ResourceName;
  endpoint: Endpoint | 'unknown';
  passed: number;
  failed: number;
  skipped: number;
  skips: ContractSkip[];
  capabilities: Record<string, boolean>;
}

export interface ContractReport {
  generatedAt: string;
  results: ContractResult[];
}

const INTERFACES: Record<string, ResourceName> = {
  'object-store': 'objectStore',
  objectStore: 'objectStore',
  queue: 'queue',
  warehouse: 'warehouse',
  'secret-store': 'secretStore',
  secretStore: 'secretStore',
};

export const CONTRACT_FILE = /^([a-z0-9-]+)\.([a-zA-Z-]+)\.contract\.test\.ts$/;

/** `<provider>.<interface>.contract.test.ts` → provider and interface, or undefined. */
export function parseContractFileName(
  file: string,
): { provider: string; interface: ResourceName } | undefined {
  const match = CONTRACT_FILE.exec(basename(file));
  const iface = match && INTERFACES[match[2]!];
  return match && iface ? { provider: match[1]!, interface: iface } : undefined;
}

function emptyResult(
  provider: string,
  iface: ResourceName,
  endpoint: ContractResult['endpoint'],
): ContractResult {
  return {
    provider,
    interface: iface,
    endpoint,
    passed: 0,
    failed: 0,
    skipped: 0,
    skips: [],
    capabilities: {},
  };
}

function skipReason(test: TestCase): string {
  const meta = test.meta();
  const result = test.result();
  if (meta.skipReason) return meta.skipReason;
  if (result.state === 'skipped' && result.note) return result.note;
  if (test.options.mode === 'todo') return 'todo: not written yet';
  if (result.state === 'pending') return 'did not run (the run ended before it)';
  return 'skipped without a reason (a static .skip): give it one with skipWithReason';
}

/** Builds the report from the finished test modules of one run. */
export function buildContractReport(modules: readonly TestModule[], now = new Date()): ContractReport {
  const results = new Map<string, ContractResult>();
  const resultFor = (
    meta: Pick<ContractMeta, 'provider' | 'interface'> & { endpoint: ContractResult['endpoint'] },
  ) => {
    const key = `${meta.provider}\0${meta.interface}\0${meta.endpoint}`;
    let result = results.get(key);
    if (!result) {
      result = emptyResult(meta.provider, meta.interface, meta.endpoint);
      results.set(key, result);
    }
    return result;
  };

  for (const module of modules) {
    const fromName = parseContractFileName(module.moduleId);
    const tests = [...module.children.allTests()];
    const metas = tests.map((t) => t.meta().contract).filter((m): m is ContractMeta => m !== undefined);
    const endpoints = new Set(metas.map((m) => m.endpoint));
    // Cases without metadata (a static skip, a failing hook) count towards the file's own suite.
    const fallback = () =>
      resultFor({
        provider: metas[0]?.provider ?? fromName?.provider ?? basename(module.moduleId),
        interface: metas[0]?.interface ?? fromName?.interface ?? 'objectStore',
        endpoint: endpoints.size === 1 ? [...endpoints][0]! : 'unknown',
      });

    for (const test of tests) {
      const contract = test.meta().contract;
      const result = contract ? resultFor(contract) : fallback();
      if (contract) Object.assign(result.capabilities, contract.capabilities);
      const state = test.result().state;
      if (state === 'passed') result.passed++;
      else if (state === 'failed') result.failed++;
      else {
        result.skipped++;
        result.skips.push({ case: test.name, reason: skipReason(test) });
      }
    }

    const errors = module.errors();
    if (errors.length > 0) {
      // The file failed outside any case (an import or a hook threw); vitest prints the error.
      fallback().failed++;
    } else if (tests.length === 0) {
      const result = fallback();
      result.skipped++;
      result.skips.push({ case: '(test file)', reason: 'the test file registered no cases' });
    }
  }

  const interfaceOrder: readonly ResourceName[] = RESOURCE_NAMES;
  // The registry's order (the embedded default first, then the clouds), then anything else by name.
  const providerRank = (p: string) => {
    const rank = (BUILTIN_PROVIDERS as readonly string[]).indexOf(p);
    return rank === -1 ? BUILTIN_PROVIDERS.length : rank;
  };
  return {
    generatedAt: now.toISOString(),
    results: [...results.values()].sort(
      (a, b) =>
        interfaceOrder.indexOf(a.interface) - interfaceOrder.indexOf(b.interface) ||
        providerRank(a.provider) - providerRank(b.provider) ||
        a.provider.localeCompare(b.provider) ||
        a.endpoint.localeCompare(b.endpoint),
    ),
  };
}
