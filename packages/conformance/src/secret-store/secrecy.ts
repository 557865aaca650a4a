/**
 * Secret-store cases: the cache, values kept out of strings, errors, logs and meter reports, validation,
 * cancellation.
 */
import { format, inspect } from 'node:util';
import { CloudmuxError, Meter, portableSecretStore, withSecretCache } from '@cloudmux/core';
import { expectCode } from '../harness.ts';
import type { SecretStoreSuite } from './fixture.ts';
import { recognisableValue } from './fixture.ts';

export function secretStoreSecrecyCases(s: SecretStoreSuite): void {
  const { it, expect, setup } = s;
  it('withSecretCache serves the cached value until its TTL, then sees the rotation', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('cache');
    await store.put(secret, 'before-rotation');
    // The meter counts how often the cache reaches the store.
    const meter = new Meter({ retry: false });
    const counted = portableSecretStore(store, { meter });
    let clock = 1_000_000;
    const cached = withSecretCache(counted, { ttlMs: 30_000, now: () => clock });
    const getsOf = () => meter.summary().find((s) => s.operation === 'get')?.count ?? 0;

    expect((await cached.get(secret)).reveal()).toBe('before-rotation');
    await store.put(secret, 'after-rotation');
    clock += 29_999;
    expect((await cached.get(secret)).reveal()).toBe('before-rotation');
    expect(getsOf()).toBe(1);
    clock += 2;
    expect((await cached.get(secret)).reveal()).toBe('after-rotation');
    expect(getsOf()).toBe(2);
  });

  it('the value never appears in String(), template literals, JSON or util.inspect', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('redact');
    const value = recognisableValue();
    await store.put(secret, value);
    const got = await store.get(secret);
    const renderings = [
      String(got),
      `${got}`,
      JSON.stringify(got),
      JSON.stringify({ nested: { got } }),
      inspect(got),
      inspect({ deep: [got] }, { depth: 10, showHidden: true }),
      format('%s %o %O %j', got, got, got, got),
    ];
    for (const text of renderings) expect(text).not.toContain(value);
    expect(got.reveal()).toBe(value);
  });

  it('a failing call leaks the value into neither the error nor anything logged', async (ctx) => {
    const { store } = await setup(ctx);
    const value = recognisableValue();
    const meter = new Meter({ retry: false, keepRecords: 10 });
    const metered = portableSecretStore(store, { meter });
    const captured: string[] = [];
    // Console and stdio are swapped by hand (no runner's spies): restored in `finally`.
    const restore: Array<() => void> = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        captured.push(format(...args));
      };
      restore.push(() => {
        console[method] = original;
      });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: unknown) => {
        captured.push(String(chunk));
        return true;
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    let caught: unknown;
    try {
      // An empty name is invalid everywhere; the value rides along in the failing call.
      await metered.put('', value);
    } catch (error) {
      caught = error;
    } finally {
      for (const undo of restore) undo();
    }
    expect(CloudmuxError.hasCode(caught, 'InvalidArgument')).toBe(true);
    const error = caught as CloudmuxError;
    const renderings = [
      error.message,
      String(error),
      error.stack ?? '',
      JSON.stringify(error),
      inspect(error, { depth: 10, showHidden: true }),
      JSON.stringify(meter.toJSON()),
      JSON.stringify(meter.records),
      meter.toPrometheus(),
      ...captured,
    ];
    for (const text of renderings) expect(text).not.toContain(value);
  });

  it('a meter-wrapped store records each call and keeps the value out of its report', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('metered');
    const value = recognisableValue();
    const meter = new Meter({ keepRecords: 10 });
    const metered = portableSecretStore(store, { meter });
    const { version } = await metered.put(secret, value);
    const got = await metered.get(secret);
    expect(got.reveal()).toBe(value);
    expect(got.version).toBe(version);
    await expectCode(metered.get(name('absent')), 'NotFound');

    const byOperation = Object.fromEntries(meter.summary().map((s) => [s.operation, s]));
    expect(byOperation.put?.count).toBe(1);
    expect(byOperation.put?.errors).toBe(0);
    expect(byOperation.get?.count).toBe(2);
    expect(byOperation.get?.errors).toBe(1);
    expect(byOperation.get?.provider).toBe(store.provider);
    expect(meter.records.map((r) => r.outcome)).toEqual(['ok', 'ok', 'NotFound']);
    const report = [JSON.stringify(meter.toJSON()), JSON.stringify(meter.records), meter.toPrometheus()];
    for (const text of report) expect(text).not.toContain(value);
  });

  it('an empty value is InvalidArgument (one answer: Secrets Manager cannot store one) and creates nothing', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('empty');
    await expectCode(store.put(secret, ''), 'InvalidArgument');
    await expectCode(store.put(secret, new Uint8Array(0)), 'InvalidArgument');
    await expectCode(store.get(secret), 'NotFound');
  });

  it('a value over limits.maxValueBytes is InvalidArgument before anything is stored', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('oversize');
    await expectCode(store.put(secret, 'x'.repeat(store.limits.maxValueBytes + 1)), 'InvalidArgument');
    await expectCode(store.get(secret), 'NotFound');
  });

  it('an aborted signal rejects every call with Cancelled, and an abort mid-call ends it as Cancelled', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('abort');
    await store.put(secret, 'before-abort');
    const aborted = AbortSignal.abort(new Error('caller gave up'));
    await expectCode(store.put(secret, 'never-written', { signal: aborted }), 'Cancelled');
    await expectCode(store.get(secret, { signal: aborted }), 'Cancelled');
    await expectCode(store.listVersions(secret, { signal: aborted }), 'Cancelled');
    await expectCode(store.list({ prefix: secret, signal: aborted }), 'Cancelled');
    await expectCode(store.delete(secret, { signal: aborted }), 'Cancelled');
    // Nothing ran: the secret holds its one value.
    expect((await store.get(secret)).reveal()).toBe('before-abort');
    const controller = new AbortController();
    const pending = store.get(secret, { signal: controller.signal });
    controller.abort(new Error('caller gave up mid-call'));
    const outcome = await pending.then(
      (value) => value,
      (error: unknown) => error,
    );
    // A call the service answered before the abort landed may still succeed; otherwise Cancelled.
    if (CloudmuxError.isInstance(outcome)) expect(outcome.code).toBe('Cancelled');
    else expect((outcome as { reveal(): string }).reveal()).toBe('before-abort');
  });

  it('no error message or meter record of a refused put contains the value', async (ctx) => {
    const { store, name } = await setup(ctx);
    const value = recognisableValue();
    const meter = new Meter({ retry: false, keepRecords: 20 });
    const metered = portableSecretStore(store, { meter });
    const tooLong = value.repeat(Math.ceil((store.limits.maxValueBytes + 1) / value.length));
    const refusals = [
      metered.put('', value),
      metered.put('bad\nname', value),
      metered.put(name('leak'), tooLong),
      metered.put(name('leak'), value, { signal: AbortSignal.abort(new Error('stop')) }),
    ];
    for (const refusal of refusals) {
      const error = await refusal.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CloudmuxError.isInstance(error)).toBe(true);
      const texts = [
        (error as CloudmuxError).message,
        String(error),
        (error as CloudmuxError).stack ?? '',
        inspect(error, { depth: 10, showHidden: true }),
      ];
      for (const text of texts) expect(text).not.toContain(value);
    }
    const report = [JSON.stringify(meter.toJSON()), JSON.stringify(meter.records), meter.toPrometheus()];
    // The three refused puts are recorded; the already-aborted one never started, so it left none.
    expect(meter.records.map((r) => r.outcome)).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    for (const text of report) expect(text).not.toContain(value);
  });
}
