// The consumer smoke test without DuckDB: only @cloudmux/core and @cloudmux/local are installed.
// The object store and queue work; opening the warehouse names the package to install.
import assert from 'node:assert/strict';
import { CloudmuxError, messageText, openResources, parseConfig } from '@cloudmux/core';

const config = parseConfig({});
const resources = await openResources(config, { env: {}, only: ['objectStore', 'queue'] });
try {
  await resources.objectStore.put('a.txt', 'lean');
  assert.equal(await (await resources.objectStore.get('a.txt')).text(), 'lean');
  await resources.queue.ensureQueue('jobs');
  await resources.queue.send('jobs', 'job-1');
  const [message] = await resources.queue.receive('jobs', { maxMessages: 1 });
  assert.ok(message, 'a message was received');
  assert.equal(messageText(message), 'job-1');
  await resources.queue.ack('jobs', message);
} finally {
  await resources.close();
}

const error = await openResources(config, { env: {}, only: ['warehouse'] }).then(
  () => undefined,
  (e) => e,
);
assert.ok(CloudmuxError.hasCode(error, 'Unsupported'), `warehouse without DuckDB: ${error}`);
assert.equal(error.name, 'MissingOptionalDependencyError');
assert.equal(error.packageName, '@duckdb/node-api');
console.log(
  'consumer smoke without DuckDB: object store and queue ok; the warehouse asks for @duckdb/node-api',
);
