/**
 * The emulator stacks: each one's config opens all four resources through the registry (as the
 * pipeline and compare apps do) and every resource answers a round trip on its emulator; stop()
 * ends the emulators and undoes the provider-module override.
 */

import { uniqueName } from '@cloudmux/conformance';
import { openResources, parseConfig } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import {
  type EmulatedProvider,
  emulatorStacks,
  emulatorStackUnavailable,
  PROVIDER_MODULES_ENV,
} from './emulator-stacks.ts';

const providerModules = () => {
  const raw = process.env[PROVIDER_MODULES_ENV];
  return raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
};

/** Trino alone takes 20–40 s to start on two cores, longer while CI runs other servers beside it. */
const STACK_TIMEOUT_MS = 300_000;

for (const provider of ['aws', 'gcp', 'azure', 'selfhosted'] as EmulatedProvider[]) {
  const missing = emulatorStackUnavailable(provider);
  describe.skipIf(Boolean(missing))(
    `emulator stack · ${provider}${missing ? ` — skipped: ${missing}` : ''}`,
    () => {
      it(
        'opens all four resources from its config and round-trips each on its emulator',
        async () => {
          const before = process.env[PROVIDER_MODULES_ENV];
          const stack = await emulatorStacks[provider]();
          if ('skipped' in stack) throw new Error(stack.skipped);
          const urls: string[] = [];
          try {
            const config = parseConfig(stack.config);
            expect(config.resources).toEqual({
              objectStore: provider,
              queue: provider,
              warehouse: provider,
              secretStore: provider,
            });
            expect(Object.keys(stack.detail).sort()).toEqual([
              'objectStore',
              'queue',
              'secretStore',
              'warehouse',
            ]);
            const modules = providerModules();
            const resources = await openResources(config, {
              importer: (s) => import(s),
              ...(modules ? { providers: modules } : {}),
            });
            try {
              const key = `${uniqueName('stack')}/object.txt`;
              await resources.objectStore.put(key, 'hello emulator');
              expect(await (await resources.objectStore.get(key)).text()).toBe('hello emulator');

              const queue = uniqueName('stack-q');
              await resources.queue.ensureQueue(queue, {});
              await resources.queue.send(queue, 'ping');
              let received: Awaited<ReturnType<typeof resources.queue.receive>> = [];
              for (let i = 0; i < 10 && received.length === 0; i++) {
                received = await resources.queue.receive(queue, { maxMessages: 1, waitSeconds: 1 });
              }
              expect(received.map((m) => new TextDecoder().decode(m.body))).toEqual(['ping']);
              await resources.queue.ack(queue, received[0]!);
              await resources.queue.deleteQueue(queue);

              const secret = uniqueName('stack-secret');
              await resources.secretStore.put(secret, 's3cret-value');
              expect((await resources.secretStore.get(secret)).reveal()).toBe('s3cret-value');
              await resources.secretStore.delete(secret);

              const table = uniqueName('stack_t').replaceAll('-', '_');
              await resources.warehouse.ensureTable(table, { columns: [{ name: 'n', type: 'int64' }] });
              await resources.warehouse.insertRows(table, [{ n: 41n }, { n: 1n }]);
              const result = await resources.warehouse.query(
                `SELECT n FROM ${resources.warehouse.dialect.quoteIdent(table)} ORDER BY n`,
              );
              expect(result.rows.map((row) => row.n)).toEqual([1n, 41n]);
              await resources.warehouse.dropTable(table);
            } finally {
              await resources.close();
            }
            for (const value of Object.values(JSON.parse(JSON.stringify(config.providers))[provider] ?? {}))
              collectUrls(value, urls);
          } finally {
            await stack.stop();
          }
          expect(process.env[PROVIDER_MODULES_ENV]).toBe(before);
          // Every HTTP emulator the config pointed at is gone.
          for (const url of urls)
            await expect(fetch(url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
        },
        STACK_TIMEOUT_MS,
      );
    },
  );
}

function collectUrls(value: unknown, into: string[]): void {
  if (typeof value === 'string' && /^http:\/\/127\.0\.0\.1:\d+/.test(value)) into.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectUrls(v, into);
}
