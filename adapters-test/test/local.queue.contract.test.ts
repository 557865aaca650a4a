import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeQueueContract } from '@cloudmux/conformance';
import { createSqliteQueue } from '@cloudmux/local';
import * as vitest from 'vitest';

// One database file per run, removed afterwards; the suite makes its own uniquely named queues in it.
const dirs = new WeakMap<object, string>();

describeQueueContract(vitest, {
  provider: 'local',
  endpoint: 'embedded',
  noFaultsReason:
    'embedded: the local adapters call the filesystem, SQLite and DuckDB in-process: there is no connection to ' +
    "throttle, reset or black-hole; their storage faults (live and stale locks, crashed writers) are packages/local's tests",
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'cloudmux-queue-contract-'));
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    dirs.set(queue, dir);
    return queue;
  },
  async destroy(queue) {
    await queue.close();
    const dir = dirs.get(queue);
    if (dir) await rm(dir, { recursive: true, force: true });
  },
  openUrl(queue) {
    const dir = dirs.get(queue);
    // The same database file: sqlite:// takes the path as file:// does.
    return dir
      ? { url: `sqlite://${pathToFileURL(join(dir, 'queue.sqlite')).pathname}` }
      : 'a queue this target did not create';
  },
});
