/**
 * The object-store suite's fixture: one store per run, a fresh key prefix per case, and the body helpers
 * the cases share.
 */
import { createHash } from 'node:crypto';
import type { ObjectData, ObjectStore, ObjectStoreCapabilities } from '@cloudmux/core';
import { beginCase, uniqueName } from '../harness.ts';
import type { CaseContext, ContractRunner } from '../runner.ts';
import type { ObjectStoreContractTarget, ObjectStoreOracle } from './suite.ts';

export interface Fixture {
  store: ObjectStore;
  /** As declared: what `gate()` checks both ways. */
  capabilities: ObjectStoreCapabilities;
  /** Declared and not an endpoint gap: what a case may rely on outside a gate. */
  usable: ObjectStoreCapabilities;
  oracle: ObjectStoreOracle | undefined;
  /** This case's unique prefix, ending in `/`. */
  prefix: string;
  /** A key under this case's prefix. */
  key(name: string): string;
}

export const MB = 1024 * 1024;
export const encoder = new TextEncoder();

/** Deterministic pseudo-random chunks (xorshift), so a 20 MB body is never held whole by the test. */
export function* patternChunks(total: number, chunkSize: number, seed: number): Generator<Uint8Array> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < total; sent += chunkSize) {
    const chunk = new Uint8Array(Math.min(chunkSize, total - sent));
    for (let i = 0; i < chunk.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk[i] = state & 0xff;
    }
    yield chunk;
  }
}

export function patternDigest(total: number, chunkSize: number, seed: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(total, chunkSize, seed)) hash.update(chunk);
  return hash.digest('hex');
}

/** Consumes a body through its web stream, hashing as it goes. */
export async function streamDigest(data: ObjectData): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = data.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
  }
  return { digest: hash.digest('hex'), bytes };
}

export async function listAllKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.listAll({ prefix })) keys.push(object.key);
  return keys;
}

export const sortedUtf8 = (keys: readonly string[]) =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** The shared state and helpers of one objectStore suite run; registers its hooks with the runner. */
export function objectStoreSuite(runner: ContractRunner, target: ObjectStoreContractTarget) {
  const { it, expect, beforeAll, afterAll } = runner;
  let store: ObjectStore | undefined;

  beforeAll(async () => {
    store = await target.create();
  });

  afterAll(async () => {
    if (store) await target.destroy(store);
  });

  /** Records the case's contract metadata, applies per-case skips, and hands out a fresh prefix. */
  function setup(ctx: CaseContext): Fixture {
    if (!store) throw new Error('the store was not created (beforeAll failed)');
    const capabilities = beginCase(ctx, target, 'objectStore', store.capabilities);
    const prefix = `${uniqueName('case')}/`;
    return {
      store,
      capabilities: store.capabilities,
      usable: capabilities,
      oracle: target.oracle?.(store),
      prefix,
      key: (name) => `${prefix}${name}`,
    };
  }

  return {
    it,
    expect,
    target,
    setup,
  };
}

export type ObjectStoreSuite = ReturnType<typeof objectStoreSuite>;
