/**
 * The SecretStore contract, written once and run against every adapter: versions, reading an old
 * version, listing, deletion, the cache seeing a rotation, and — what other conformance suites do
 * not check — that a secret's value never leaks into errors, logs, string forms or meter reports.
 *
 * Most secret names use only lower-case letters, digits and dashes; two cases use `/`, `.`, `_` and
 * mixed case on purpose, since core allows any name without control characters and every adapter
 * must map what its provider's alphabet lacks, reversibly and without collisions.
 */
import { format, inspect } from 'node:util';
import {
  CloudmuxError,
  Meter,
  portableSecretStore,
  type SecretStore,
  type SecretStoreCapabilities,
  withSecretCache,
} from '@cloudmux/core';
import { describe, expect, it, type TestContext, vi } from 'vitest';
import {
  beginCase,
  type ContractTarget,
  eventually,
  expectCode,
  gate,
  openedFromUrl,
  skipWithReason,
  uniqueName,
} from '../harness.ts';
import { secretStoreFaultProbe } from './fault-probes.ts';
import { describeFaultGroup } from './faults.ts';

interface Fixture {
  store: SecretStore;
  capabilities: SecretStoreCapabilities;
  /** A fresh secret name, deleted after the case. */
  name(label: string): string;
  /** Deletes a secret named by the case after it. */
  track(name: string): string;
}

/** A value distinctive enough that finding it anywhere means it leaked. */
function recognisableValue(): string {
  return `s3cr3t-${uniqueName('value')}-do-not-log`;
}

export function describeSecretStoreContract(target: ContractTarget<SecretStore>): void {
  describe(`secretStore contract · ${target.provider} (${target.endpoint})`, () => {
    async function setup(ctx: TestContext): Promise<Fixture> {
      const store = await target.create();
      const created = new Set<string>();
      ctx.onTestFinished(async () => {
        for (const name of created) {
          await store.delete(name, { force: true }).catch((error: unknown) => {
            if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
          });
        }
        await target.destroy(store);
      });
      beginCase(ctx, target, 'secretStore', store.capabilities);
      return {
        store,
        capabilities: store.capabilities,
        name(label) {
          const name = uniqueName(`cmx-${label}`);
          created.add(name);
          return name;
        },
        track(name) {
          created.add(name);
          return name;
        },
      };
    }

    it('put then get returns the value, its name and the version put returned', async (ctx) => {
      const { store, name } = await setup(ctx);
      const secret = name('basic');
      const value = recognisableValue();
      const { version } = await store.put(secret, value);
      expect(typeof version).toBe('string');
      expect(version.length).toBeGreaterThan(0);
      const got = await store.get(secret);
      expect(got.reveal()).toBe(value);
      expect(got.name).toBe(secret);
      expect(got.version).toBe(version);
    });

    it('a second put creates a new version and get returns the latest', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const secret = name('rotate');
      const first = await store.put(secret, 'value-one');
      const second = await store.put(secret, 'value-two');
      if (capabilities.versions) expect(second.version).not.toBe(first.version);
      const got = await store.get(secret);
      expect(got.reveal()).toBe('value-two');
      expect(got.version).toBe(second.version);
    });

    it('an old version can still be read by its id', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const secret = name('old');
      const first = await store.put(secret, 'value-one');
      await store.put(secret, 'value-two');
      const run = await gate(ctx, target, capabilities.getVersion, 'getVersion', () =>
        store.get(secret, { version: first.version }),
      );
      if (!run) return;
      const old = await store.get(secret, { version: first.version });
      expect(old.reveal()).toBe('value-one');
      expect(old.version).toBe(first.version);
    });

    it('a version id of another secret is NotFound (a version belongs to its secret)', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const mine = name('mine');
      const other = name('other');
      await store.put(mine, 'mine-one');
      await store.put(other, 'other-one');
      const foreign = await store.put(other, 'other-two');
      const run = await gate(ctx, target, capabilities.getVersion, 'getVersion', () =>
        store.get(mine, { version: foreign.version }),
      );
      if (!run) return;
      await expectCode(store.get(mine, { version: foreign.version }), 'NotFound');
    });

    it('listVersions lists every version, newest first', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const secret = name('versions');
      const ids: string[] = [];
      for (const value of ['v-one', 'v-two', 'v-three']) ids.push((await store.put(secret, value)).version);
      const run = await gate(ctx, target, capabilities.listVersions, 'listVersions', () =>
        store.listVersions(secret),
      );
      if (!run) return;
      const versions = await store.listVersions(secret);
      expect(versions.map((v) => v.version)).toEqual([...ids].reverse());
      expect(versions.every((v) => v.enabled)).toBe(true);
    });

    it('listVersions of a missing secret is NotFound', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const secret = name('missing-versions');
      const run = await gate(ctx, target, capabilities.listVersions, 'listVersions', () =>
        store.listVersions(secret),
      );
      if (!run) return;
      await expectCode(store.listVersions(secret), 'NotFound');
    });

    it('list by prefix returns exactly the secrets under the prefix', async (ctx) => {
      const { store, name, track } = await setup(ctx);
      const prefix = uniqueName('cmx-list');
      const inside = [track(`${prefix}-a`), track(`${prefix}-b`)];
      const outside = name('elsewhere');
      for (const secret of inside) await store.put(secret, 'listed');
      await store.put(outside, 'not-listed');
      let names: string[] = [];
      await eventually(async () => {
        names = (await store.list({ prefix })).map((entry) => entry.name).sort();
        return names.length >= inside.length;
      });
      expect(names).toEqual(inside);
    });

    it('names with /, ., _ and mixed case round trip, and a / prefix lists them by their original names', async (ctx) => {
      const { store, track, capabilities } = await setup(ctx);
      // Core allows any name without control characters; each provider must map what its alphabet lacks.
      const root = uniqueName('cmx-Portable');
      const prefix = `${root}/Ingest/`;
      const inside = [`${prefix}api_key`, `${prefix}Db.Password`, `${prefix}run.1/token_v2`].map(track);
      const outside = [`${root}/Ingest`, `${root}/Ingest-other/api_key`, `${root}/ingest/api_key`].map(track);
      for (const secret of [...inside, ...outside]) {
        await store.put(secret, `first ${secret}`);
        await store.put(secret, `second ${secret}`);
      }
      for (const secret of [...inside, ...outside]) {
        const got = await store.get(secret);
        expect(got.name).toBe(secret);
        expect(got.reveal()).toBe(`second ${secret}`);
        if (capabilities.listVersions) expect(await store.listVersions(secret)).toHaveLength(2);
      }
      let names: string[] = [];
      await eventually(async () => {
        names = (await store.list({ prefix })).map((entry) => entry.name).sort();
        return names.length >= inside.length;
      });
      expect(names).toEqual([...inside].sort());
      const [gone, ...kept] = inside as [string, ...string[]];
      await store.delete(gone, { force: true });
      await expectCode(store.get(gone), 'NotFound');
      await eventually(async () => {
        names = (await store.list({ prefix })).map((entry) => entry.name).sort();
        return !names.includes(gone);
      });
      expect(names).toEqual([...kept].sort());
    });

    it('names differing only in a character a provider must map stay distinct secrets', async (ctx) => {
      const { store, track } = await setup(ctx);
      const root = uniqueName('cmx-distinct');
      // Pairs that collide under a lossy mapping (/ . _ → -, case folding) or a naive escape scheme.
      const suffixes = ['a/b', 'a-b', 'a.b', 'a_b', 'A_b', 'a_2fb', 'a-2fb', 'a_5f2fb', 'a--b'];
      const secrets = suffixes.map((suffix) => track(`${root}/${suffix}`));
      for (const [i, secret] of secrets.entries()) await store.put(secret, `value-${i}`);
      for (const [i, secret] of secrets.entries()) {
        const got = await store.get(secret);
        expect(got.name).toBe(secret);
        expect(got.reveal()).toBe(`value-${i}`);
      }
      let names: string[] = [];
      await eventually(async () => {
        names = (await store.list({ prefix: `${root}/` })).map((entry) => entry.name).sort();
        return names.length >= secrets.length;
      });
      expect(names).toEqual([...secrets].sort());
    });

    it('binary values round trip byte for byte', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      const secret = name('binary');
      // Every byte value, including sequences that are not valid UTF-8.
      const bytes = new Uint8Array(512).map((_, i) => (i * 7) % 256);
      const run = await gate(ctx, target, capabilities.binaryValues, 'binaryValues', () =>
        store.put(secret, bytes),
      );
      if (!run) return;
      await store.put(secret, bytes);
      expect(Buffer.from((await store.get(secret)).bytes()).equals(Buffer.from(bytes))).toBe(true);
    });

    it('unicode values round trip exactly', async (ctx) => {
      const { store, name } = await setup(ctx);
      const secret = name('unicode');
      const value = 'pässwörd 🔑 秘密 ключ e\u0301 \u200d “quotes” \\ / \n next line';
      await store.put(secret, value);
      expect((await store.get(secret)).reveal()).toBe(value);
    });

    it('a 16 KB value round trips', async (ctx) => {
      const { store, name } = await setup(ctx);
      const secret = name('large');
      const value = Array.from({ length: 16 * 1024 }, (_, i) => String.fromCharCode(33 + (i % 90))).join('');
      await store.put(secret, value);
      expect((await store.get(secret)).reveal()).toBe(value);
    });

    it('after delete, get is NotFound and list no longer shows the secret', async (ctx) => {
      const { store, name } = await setup(ctx);
      const secret = name('delete');
      await store.put(secret, 'to-delete');
      await store.delete(secret, { force: true });
      await expectCode(store.get(secret), 'NotFound');
      await eventually(async () => !(await store.list({ prefix: secret })).some((e) => e.name === secret));
    });

    it('delete without force (soft delete where supported) also hides the secret from get and list', async (ctx) => {
      const { store, name } = await setup(ctx);
      const secret = name('soft-delete');
      await store.put(secret, 'to-delete-softly');
      await store.delete(secret);
      await expectCode(store.get(secret), 'NotFound');
      await eventually(async () => !(await store.list({ prefix: secret })).some((e) => e.name === secret));
    });

    it('a store opened from its URL reads what this store wrote, and the other way round', async (ctx) => {
      const { store, name } = await setup(ctx);
      const opened = await openedFromUrl(ctx, 'secretStore', target, store);
      try {
        const viaConfig = name('via-config');
        const value = recognisableValue();
        const { version } = await store.put(viaConfig, value);
        const read = await opened.get(viaConfig);
        expect([read.reveal(), read.version]).toEqual([value, version]);
        const viaUrl = name('via-url');
        await opened.put(viaUrl, 'written through the URL');
        expect((await store.get(viaUrl)).reveal()).toBe('written through the URL');
      } finally {
        await opened.close();
      }
    });

    it('get of a missing secret is NotFound', async (ctx) => {
      const { store, name } = await setup(ctx);
      await expectCode(store.get(name('never-created')), 'NotFound');
    });

    it('delete of a missing secret is NotFound', async (ctx) => {
      const { store, name } = await setup(ctx);
      await expectCode(store.delete(name('never-created'), { force: true }), 'NotFound');
    });

    it('concurrent puts each get their own version and none is lost', async (ctx) => {
      const { store, name, capabilities } = await setup(ctx);
      if (!capabilities.versions) skipWithReason(ctx, 'the adapter does not declare versions');
      const secret = name('concurrent');
      await store.put(secret, 'initial');
      const values = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
      const results = await Promise.all(values.map((value) => store.put(secret, value)));
      const ids = results.map((r) => r.version);
      expect(new Set(ids).size).toBe(values.length);
      if (capabilities.getVersion) {
        for (const [index, id] of ids.entries()) {
          expect((await store.get(secret, { version: id })).reveal()).toBe(values[index]);
        }
      }
    });

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
      const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          captured.push(format(...args));
        }),
      );
      const writes = [process.stdout, process.stderr].map((stream) =>
        vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
          captured.push(String(chunk));
          return true;
        }),
      );
      let caught: unknown;
      try {
        // An empty name is invalid everywhere; the value rides along in the failing call.
        await metered.put('', value);
      } catch (error) {
        caught = error;
      } finally {
        for (const spy of [...spies, ...writes]) spy.mockRestore();
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

    describeFaultGroup(target, 'secretStore', secretStoreFaultProbe);
  });
}
