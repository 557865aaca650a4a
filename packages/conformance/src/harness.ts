/**
 * Shared plumbing of the contract suites: how a suite is pointed at an adapter, how capability
 * gates and endpoint gaps turn into visible skips, and the metadata the `pnpm contract` reporter
 * reads to build `.reports/contract.json` and `docs/capabilities.md`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CloudmuxError, type ErrorCode, openResourceUrl, type ResourceName } from '@cloudmux/core';
import type { FaultTarget } from './faults/suite.ts';
import type { CaseContext } from './runner.ts';

export type Endpoint = 'embedded' | `emulator:${string}` | 'live';

export interface ContractMeta {
  provider: string;
  interface: ResourceName;
  endpoint: Endpoint;
  /** Capabilities as the adapter declares them, with endpoint gaps applied (false). */
  capabilities: Record<string, boolean>;
  /** Endpoint gaps: capability → reason the endpoint cannot honour it. */
  gaps: Record<string, string>;
}

declare module 'vitest' {
  interface TaskMeta {
    contract?: ContractMeta;
    /** Why this case was skipped; every skip carries one. */
    skipReason?: string;
  }
}

export interface ContractTarget<T> {
  provider: string;
  endpoint: Endpoint;
  /** An adapter bound to fresh, uniquely named resources (bucket, queue prefix, dataset, …). */
  create(): Promise<T>;
  /** Removes what `create` made and closes the adapter. */
  destroy(adapter: T): Promise<void>;
  /**
   * Capabilities the adapter declares but this endpoint cannot honour (an emulator gap), each with
   * its reason. Their cases are skipped visibly and the matrix shows the gap.
   */
  endpointGaps?: Record<string, string>;
  /** Individual cases that cannot run on this endpoint, by case name, with the reason. */
  skipCases?: Record<string, string>;
  /** The same adapter behind a fault proxy, for the fault group (`contracts/faults.ts`). */
  faults?: FaultTarget<T>;
  /** Why the fault group cannot run here when `faults` is absent (shown as the skip reason). */
  noFaultsReason?: string;
  /**
   * The URL naming the same resource as one `create()` made (bucket and prefix, queue prefix,
   * dataset, secret prefix), with what the opener needs besides it (the environment the provider
   * reads; options no URL carries, such as emulator credentials), or a string saying why this
   * target has none.
   */
  openUrl?(adapter: T): OpenUrlTarget | string | Promise<OpenUrlTarget | string>;
}

export interface OpenUrlTarget {
  url: string;
  env?: NodeJS.ProcessEnv;
  providerOptions?: Record<string, unknown>;
  /** Provider module overrides (the emulator stacks' provider modules), name → specifier. */
  providers?: Record<string, string>;
}

/**
 * Opens, through `openResourceUrl` exactly as an app would, the resource the target's URL names
 * (the same one `adapter` is bound to); skips the case visibly when the target gives no URL.
 */
export async function openedFromUrl<T extends { provider: string }>(
  ctx: CaseContext,
  resource: ResourceName,
  target: ContractTarget<T>,
  adapter: T,
): Promise<T> {
  const opener = (await target.openUrl?.(adapter)) ?? 'this target gives no URL for its resource';
  if (typeof opener === 'string') skipWithReason(ctx, opener);
  const opened = (await openResourceUrl(resource, opener.url, {
    importer: (specifier) => import(specifier),
    ...(opener.env ? { env: opener.env } : {}),
    ...(opener.providerOptions ? { providerOptions: opener.providerOptions } : {}),
    ...(opener.providers ? { providers: opener.providers } : {}),
  })) as unknown as T;
  assert.equal(opened.provider, adapter.provider, 'the URL opened another provider');
  return opened;
}

/** A name no other run will use: `<prefix>-<time>-<random>`, lower-case, DNS-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Marks the case skipped with a reason the reporter and the matrix show. */
export function skipWithReason(ctx: CaseContext, reason: string): never {
  ctx.task.meta.skipReason = reason;
  ctx.skip(reason);
  throw new Error('unreachable: ctx.skip throws');
}

/** Records the contract metadata on a case; every case of a suite calls it (through `caseSetup`). */
export function recordMeta(ctx: CaseContext, meta: ContractMeta): void {
  ctx.task.meta.contract = meta;
}

/** Declared capabilities with every endpoint gap turned off: what a case may rely on here. */
export function capabilitiesWithGaps<C extends object>(declared: C, gaps: Record<string, string> = {}): C {
  const usable: Record<string, boolean> = { ...(declared as Record<string, boolean>) };
  for (const capability of Object.keys(gaps)) usable[capability] = false;
  return usable as C;
}

/**
 * Starts a contract case: records its metadata for the reporter (declared capabilities with the
 * endpoint's gaps applied) and skips it visibly when the target lists it in `skipCases`. Every
 * suite calls this first in every case. Returns the capabilities the case may rely on.
 */
export function beginCase<C extends object>(
  ctx: CaseContext,
  target: Pick<ContractTarget<unknown>, 'provider' | 'endpoint' | 'endpointGaps' | 'skipCases'>,
  contractInterface: ResourceName,
  declared: C,
): C {
  const gaps = target.endpointGaps ?? {};
  const usable = capabilitiesWithGaps(declared, gaps);
  recordMeta(ctx, {
    provider: target.provider,
    interface: contractInterface,
    endpoint: target.endpoint,
    capabilities: { ...(usable as Record<string, boolean>) },
    gaps,
  });
  const reason = target.skipCases?.[ctx.task.name];
  if (reason) skipWithReason(ctx, reason);
  return usable;
}

/**
 * The three ways a capability-gated case can go:
 * - declared unsupported → the call must throw UnsupportedError (checked here, the case passes);
 * - declared supported but an endpoint gap → skipped with the gap's reason;
 * - supported → the case body runs.
 * Returns true when the body should run.
 */
export async function gate(
  ctx: CaseContext,
  target: Pick<ContractTarget<unknown>, 'endpointGaps'>,
  declared: boolean,
  capability: string,
  callWhenUnsupported: () => Promise<unknown>,
): Promise<boolean> {
  if (!declared) {
    await expectCode(callWhenUnsupported(), 'Unsupported');
    return false;
  }
  const gap = target.endpointGaps?.[capability];
  if (gap) skipWithReason(ctx, `endpoint gap (${capability}): ${gap}`);
  return true;
}

/** Asserts the promise rejects with a CloudmuxError of this code (never a message substring). */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<CloudmuxError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  // node:assert, not the runner's expect: every runner reports a thrown AssertionError as a failure,
  // so provider unit tests can use this helper too.
  assert.notEqual(caught, undefined, `expected a CloudmuxError with code ${code}, got success`);
  assert.ok(CloudmuxError.isInstance(caught), `expected a CloudmuxError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

/** Polls `check` until it returns true or `timeoutMs` passes (for eventually-consistent services). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
