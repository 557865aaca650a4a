/**
 * The calls the fault group makes on each interface: for each, an idempotent call the meter may
 * retry and a non-idempotent one it may not (see IDEMPOTENT in packages/core/src/meter.ts), with
 * a count of the latter's effects read back with the proxy healthy.
 */
import { randomBytes } from 'node:crypto';
import {
  CloudmuxError,
  messageText,
  type ObjectStore,
  type Queue,
  type SecretStore,
  type Warehouse,
} from '@cloudmux/core';
import { uniqueName } from '../harness.ts';
import type { Expect } from '../runner.ts';
import type { FaultProbe } from './suite.ts';

/** How long an empty queue is watched before its count is believed. */
const QUIET_MS = 3_000;

const ignoreNotFound = (error: unknown) => {
  if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
};

/** put (idempotent for a byte body) and a create-only put (not: a retry could report a false conflict). */
export const objectStoreFaultProbe = (
  expect: Expect,
): FaultProbe<ObjectStore, { key: string; body: string }> => ({
  async prepare() {
    return { key: `faults/${uniqueName('obj')}`, body: `payload ${randomBytes(4).toString('hex')}` };
  },
  idempotent: {
    name: 'put',
    async call(store, { key, body }) {
      await store.put(key, body);
      expect(await (await store.get(key)).text()).toBe(body);
    },
  },
  nonIdempotent: {
    name: 'a create-only put',
    operation: 'put',
    call: (store, { key, body }) => store.put(key, body, { ifNoneMatch: '*' }),
    async effects(store, { key, body }) {
      const found = [];
      for await (const object of store.listAll({ prefix: key })) found.push(object.key);
      if (found.length === 0) return 0;
      expect(found).toEqual([key]);
      expect(await (await store.get(key)).text()).toBe(body);
      return 1;
    },
  },
  async cleanup(store, { key }) {
    await store.delete(key);
  },
});

/** ensureQueue (idempotent) and send (not: a repeated send is a second message). */
export const queueFaultProbe = (expect: Expect): FaultProbe<Queue, { name: string; body: string }> => ({
  atLeastOnce: true,
  async prepare(queue) {
    const name = uniqueName('cmq-fault');
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 60 });
    return { name, body: `message ${randomBytes(4).toString('hex')}` };
  },
  idempotent: {
    name: 'ensureQueue',
    async call(queue, { name }) {
      await queue.ensureQueue(name, { visibilityTimeoutSeconds: 60 });
    },
  },
  nonIdempotent: {
    name: 'send',
    operation: 'send',
    call: (queue, { name, body }) => queue.send(name, body),
    async effects(queue, { name, body }) {
      let copies = 0;
      let quietSince = Date.now();
      while (Date.now() - quietSince < QUIET_MS) {
        const messages = await queue.receive(name, {
          maxMessages: Math.min(10, queue.limits.maxBatchEntries),
          waitSeconds: queue.capabilities.longPoll ? 1 : 0,
        });
        if (messages.length === 0) {
          if (!queue.capabilities.longPoll) await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        quietSince = Date.now();
        for (const message of messages) expect(messageText(message)).toBe(body);
        copies += messages.length;
        await queue.ackMany(name, messages);
      }
      return copies;
    },
  },
  async cleanup(queue, { name }) {
    await queue.deleteQueue(name).catch(ignoreNotFound);
  },
});

/** A SELECT (idempotent) and insertRows (not: a repeated insert is a second row). */
export const warehouseFaultProbe = (
  expect: Expect,
): FaultProbe<Warehouse, { table: string; id: string }> => ({
  async prepare(warehouse) {
    const table = `cmx_fault_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await warehouse.ensureTable(table, { columns: [{ name: 'id', type: 'string' }] });
    return { table, id: randomBytes(4).toString('hex') };
  },
  idempotent: {
    name: 'a SELECT query',
    async call(warehouse, { table }) {
      const result = await warehouse.query(
        `SELECT COUNT(*) AS n FROM ${warehouse.dialect.quoteIdent(table)}`,
      );
      expect(result.rows[0]?.n).toBe(0n);
    },
  },
  nonIdempotent: {
    name: 'insertRows',
    operation: 'insertRows',
    call: (warehouse, { table, id }) => warehouse.insertRows(table, [{ id }]),
    async effects(warehouse, { table, id }) {
      const result = await warehouse.query(
        `SELECT COUNT(*) AS n FROM ${warehouse.dialect.quoteIdent(table)} WHERE id = @id`,
        { id },
      );
      return Number(result.rows[0]?.n);
    },
  },
  async cleanup(warehouse, { table }) {
    await warehouse.dropTable(table);
  },
});

/** get (idempotent) and put (not: a repeated put is a second version). */
export const secretStoreFaultProbe = (expect: Expect): FaultProbe<SecretStore, { name: string }> => ({
  async prepare(store) {
    const name = uniqueName('cmx-fault');
    await store.put(name, 'first');
    return { name };
  },
  idempotent: {
    name: 'get',
    async call(store, { name }) {
      expect((await store.get(name)).reveal()).toBe('first');
    },
  },
  nonIdempotent: {
    name: 'put',
    operation: 'put',
    call: (store, { name }) => store.put(name, 'second'),
    async effects(store, { name }) {
      return (await store.listVersions(name)).length - 1;
    },
  },
  async cleanup(store, { name }) {
    await store.delete(name, { force: true }).catch(ignoreNotFound);
  },
});
