/**
 * The fault group of the contract suites: the same adapter, its client pointed at a fault proxy
 * (`startFaultProxy` of @cloudmux/emulators, or any `FaultInjector`) in front of the endpoint,
 * wrapped by the core meter as the registry wraps it for applications. Each interface's suite runs it with a probe: one idempotent
 * call (the meter may retry it) and one non-idempotent call (it may not), plus a way to count the
 * effects of the latter with the proxy healthy.
 *
 * What every provider is held to:
 * - an idempotent call succeeds through a burst of 503s, a connection reset, a lost reply and a
 *   first attempt that hangs (retried after the call timeout), and the fault really fired;
 * - a non-idempotent call during an outage fails with a CloudmuxError that is retryable
 *   (Unavailable, Throttled or Timeout), and takes effect at most once;
 * - a non-idempotent call whose reply is lost is not doubled: it takes effect at most once, or —
 *   for a queue, whose promise is at-least-once — at most once per request that reached the
 *   service; a call reported successful took effect.
 * Faults a transport cannot carry (gRPC sees no HTTP 503) and endpoints with no network (embedded)
 * skip visibly with the reason.
 */
import {
  CloudmuxError,
  Meter,
  portableObjectStore,
  portableQueue,
  portableSecretStore,
  portableWarehouse,
  type ResourceName,
} from '@cloudmux/core';
import { beginCase, type ContractTarget, skipWithReason } from '../harness.ts';
import type { CaseContext, ContractRunner, Expect } from '../runner.ts';
import type { FaultInjector, FaultKind } from './injector.ts';

/** An adapter whose every request goes through `proxy`. */
export interface FaultRig<T, P extends FaultInjector = FaultInjector> {
  adapter: T;
  proxy: P;
}

export interface FaultTarget<T, P extends FaultInjector = FaultInjector> {
  /** Starts a fault proxy in front of the endpoint and an adapter whose client uses it. */
  create(): Promise<FaultRig<T, P>>;
  /** Removes what `create` made, closes the adapter and stops the proxy. */
  destroy(rig: FaultRig<T, P>): Promise<void>;
  /** Faults this transport cannot carry, with the reason (gRPC and TDS: no HTTP-level faults). */
  unsupported?: Partial<Record<FaultKind, string>>;
}

/** What the fault group calls on one interface. */
export interface FaultProbe<T, S> {
  /** Prepares fresh resources for one case with the proxy healthy (a queue, a table, a secret). */
  prepare(adapter: T): Promise<S>;
  idempotent: { name: string; call(adapter: T, state: S): Promise<void> };
  nonIdempotent: {
    name: string;
    /** The adapter method the call goes through, as the meter records it. */
    operation: string;
    call(adapter: T, state: S): Promise<unknown>;
    /** How many times the call took effect, read with the proxy healthy. */
    effects(adapter: T, state: S): Promise<number>;
  };
  /** Queues promise at-least-once: a lost reply may legitimately cost one copy per request sent. */
  atLeastOnce?: boolean;
  /** Removes what `prepare` made. */
  cleanup?(adapter: T, state: S): Promise<void>;
}

type Wrapped = { provider: string; capabilities: object };

/** Fast retries: the cases measure whether a call is retried, not how patiently. */
const RETRY = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1_000 };
/** A black-holed attempt is abandoned after this long and the call retried. */
const HANG_TIMEOUT_MS = 3_000;
/** An outage call ends at the latest here: SDKs that retry for minutes (gRPC publish) end as Timeout. */
const OUTAGE_TIMEOUT_MS = 20_000;
const CASE_TIMEOUT_MS = 120_000;
const RETRYABLE_CODES = ['Unavailable', 'Throttled', 'Timeout'];
/** How long a client may take to reconnect after a fault is healed. */
const RECOVERY_MS = 30_000;

function wrap<T>(meter: Meter, iface: ResourceName, adapter: T): T {
  const a = adapter as never;
  switch (iface) {
    case 'objectStore':
      return portableObjectStore(a, { meter }) as T;
    case 'queue':
      // Portable types meter inline: the adapter's driver under a portable Queue with the meter.
      return portableQueue(a, { meter }) as T;
    case 'warehouse':
      return portableWarehouse(a, { meter }) as T;
    case 'secretStore':
      return portableSecretStore(a, { meter }) as T;
  }
}

/** The error a call rejected with, or undefined when it succeeded. */
async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Runs `read` once the endpoint answers again: after an outage a client may sit out its reconnect
 * backoff (gRPC) and fail fast with a retryable error meanwhile.
 */
async function whenReachable<R>(read: () => Promise<R>): Promise<R> {
  const deadline = Date.now() + RECOVERY_MS;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (!(CloudmuxError.isInstance(error) && error.retryable) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Meter-level attempts of each recorded call of `operation`. */
function attemptsOf(meter: Meter, operation: string): number[] {
  return meter.records.filter((r) => r.operation === operation).map((r) => r.attempts);
}

function expectRetryable(expect: Expect, error: unknown): void {
  expect(CloudmuxError.isInstance(error), `expected a CloudmuxError, got ${String(error)}`).toBe(true);
  const e = error as CloudmuxError;
  expect(RETRYABLE_CODES, `code ${e.code}`).toContain(e.code);
  expect(e.retryable).toBe(true);
}

export function describeFaultGroup<T extends Wrapped, S>(
  runner: ContractRunner,
  target: ContractTarget<T> & { faults?: FaultTarget<T>; noFaultsReason?: string },
  iface: ResourceName,
  probe: FaultProbe<T, S>,
): void {
  const { describe, it, expect, beforeAll, afterAll, afterEach } = runner;
  describe('faults', () => {
    let rig: FaultRig<T> | undefined;

    beforeAll(async () => {
      if (target.faults) rig = await target.faults.create();
    });
    afterEach(() => {
      rig?.proxy.heal();
    });
    afterAll(async () => {
      if (rig) await target.faults!.destroy(rig);
    });

    /**
     * One fault case: skipped visibly when the endpoint has no fault target or cannot carry the
     * fault; otherwise prepares fresh resources and hands the body a meter-wrapped adapter.
     */
    function faultCase(
      name: string,
      kind: FaultKind,
      meterTimeoutMs: number,
      body: (ctx: { adapter: T; raw: T; proxy: FaultInjector; state: S; meter: Meter }) => Promise<void>,
    ): void {
      it(
        `faults: ${name}`,
        async (ctx: CaseContext) => {
          if (!rig) {
            beginCase(ctx, target, iface, {});
            skipWithReason(ctx, target.noFaultsReason ?? 'no fault proxy is wired for this endpoint');
          }
          beginCase(ctx, target, iface, rig.adapter.capabilities);
          const unsupported = target.faults?.unsupported?.[kind];
          if (unsupported) skipWithReason(ctx, `fault '${kind}' cannot reach this endpoint: ${unsupported}`);
          const state = await probe.prepare(rig.adapter);
          rig.proxy.resetCounts();
          const meter = new Meter({
            retry: RETRY,
            keepRecords: 100,
            ...(meterTimeoutMs ? { timeoutMs: meterTimeoutMs } : {}),
          });
          try {
            await body({
              adapter: wrap(meter, iface, rig.adapter),
              raw: rig.adapter,
              proxy: rig.proxy,
              state,
              meter,
            });
          } finally {
            rig.proxy.heal();
            const cleanup = probe.cleanup;
            if (cleanup) await whenReachable(() => cleanup(rig!.adapter, state));
          }
        },
        CASE_TIMEOUT_MS,
      );
    }

    const { idempotent, nonIdempotent } = probe;

    faultCase(
      `${idempotent.name} is retried to success through a burst of 503s`,
      'throttle',
      0,
      async (c) => {
        c.proxy.failNext('throttle', 3);
        await idempotent.call(c.adapter, c.state);
        expect(c.proxy.counts().injected.throttle).toBe(3);
      },
    );

    faultCase(`${idempotent.name} is retried to success after a connection reset`, 'reset', 0, async (c) => {
      c.proxy.failNext('reset', 1);
      await idempotent.call(c.adapter, c.state);
      expect(c.proxy.counts().injected.reset).toBe(1);
    });

    faultCase(
      `${idempotent.name} is retried to success after its reply is lost`,
      'dropResponse',
      0,
      async (c) => {
        c.proxy.failNext('dropResponse', 1);
        await idempotent.call(c.adapter, c.state);
        expect(c.proxy.counts().injected.dropResponse).toBe(1);
      },
    );

    faultCase(
      `${idempotent.name} whose first attempt hangs is retried after the call timeout`,
      'blackhole',
      HANG_TIMEOUT_MS,
      async (c) => {
        c.proxy.failNext('blackhole', 1);
        await idempotent.call(c.adapter, c.state);
        expect(c.proxy.counts().injected.blackhole).toBe(1);
      },
    );

    faultCase(
      `${nonIdempotent.name} during an outage fails with a retryable error and takes effect at most once`,
      'reset',
      OUTAGE_TIMEOUT_MS,
      async (c) => {
        c.proxy.outage(target.faults?.unsupported?.throttle ? 'reset' : 'throttle');
        const error = await outcomeOf(nonIdempotent.call(c.adapter, c.state));
        expectRetryable(expect, error);
        // The meter must not have tried again: a second attempt could double the effect.
        expect(attemptsOf(c.meter, nonIdempotent.operation)).toEqual([1]);
        const forwarded = c.proxy.counts().forwarded;
        c.proxy.heal();
        const effects = await whenReachable(() => nonIdempotent.effects(c.raw, c.state));
        expect(effects).toBeLessThanOrEqual(1);
        // Nothing reached the service, so nothing may have happened.
        if (forwarded === 0) expect(effects).toBe(0);
      },
    );

    faultCase(
      `${nonIdempotent.name} whose reply is lost is not doubled`,
      'dropResponse',
      OUTAGE_TIMEOUT_MS,
      async (c) => {
        c.proxy.failNext('dropResponse', 1);
        const error = await outcomeOf(nonIdempotent.call(c.adapter, c.state));
        if (error !== undefined) expectRetryable(expect, error);
        const { forwarded, injected } = c.proxy.counts();
        expect(injected.dropResponse).toBe(1);
        expect(attemptsOf(c.meter, nonIdempotent.operation)).toEqual([1]);
        const effects = await whenReachable(() => nonIdempotent.effects(c.raw, c.state));
        if (error === undefined) expect(effects).toBeGreaterThanOrEqual(1);
        expect(effects).toBeLessThanOrEqual(probe.atLeastOnce ? forwarded : 1);
      },
    );
  });
}
