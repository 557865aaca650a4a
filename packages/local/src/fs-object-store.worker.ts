/**
 * A separate process for the cross-process tests of fs-object-store.test.ts: increments the counter
 * stored at `key` `count` times with compare-and-swap, then prints how many conflicts it retried.
 * Usage: node --conditions=@cloudmux/source fs-object-store.worker.ts <root> <key> <count>
 */
import { CloudmuxError } from '@cloudmux/core';
import { createFsObjectStore } from './fs-object-store.ts';

const [root, key, count] = process.argv.slice(2);
if (!root || !key || !count) throw new Error('usage: fs-object-store.worker.ts <root> <key> <count>');

const store = createFsObjectStore({ root });
let conflicts = 0;
for (let i = 0; i < Number(count); i++) {
  for (;;) {
    const current = await store.get(key);
    const value = Number(await current.text());
    try {
      await store.put(key, String(value + 1), { ifMatch: current.etag });
      break;
    } catch (error) {
      if (!CloudmuxError.hasCode(error, 'PreconditionFailed')) throw error;
      conflicts++;
    }
  }
}
process.stdout.write(JSON.stringify({ conflicts }));
