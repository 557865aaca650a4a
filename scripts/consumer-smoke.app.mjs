// The consumer smoke test's program (scripts/consumer-smoke.sh runs it in a scratch project where the
// packed tarballs were installed with npm): the four local resources through the registry, with no
// importer, as an app outside the workspace would use them.
import assert from 'node:assert/strict';
import { messageText, openResources, parseConfig } from '@cloudmux/core';

const config = parseConfig({});
const resources = await openResources(config, { env: {} });
try {
  const { objectStore, queue, warehouse, secretStore } = resources;
  assert.deepEqual(resources.providers, {
    objectStore: 'local',
    queue: 'local',
    warehouse: 'local',
    secretStore: 'local',
  });

  await objectStore.put('greetings/hello.txt', 'hello from a consumer');
  assert.equal(await (await objectStore.get('greetings/hello.txt')).text(), 'hello from a consumer');

  await queue.ensureQueue('jobs');
  await queue.send('jobs', 'job-1');
  const [message] = await queue.receive('jobs', { maxMessages: 1 });
  assert.ok(message, 'a message was received');
  assert.equal(messageText(message), 'job-1');
  await queue.ack('jobs', message);

  await warehouse.ensureTable('flights', {
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'origin', type: 'string' },
    ],
  });
  await warehouse.insertRows('flights', [
    { id: 1n, origin: 'SFO' },
    { id: 2n, origin: 'JFK' },
  ]);
  const result = await warehouse.query('SELECT count(*) AS n FROM flights WHERE origin = @origin', {
    origin: 'SFO',
  });
  assert.equal(result.rows[0]?.n, 1n);

  await secretStore.put('api-key', 'k-123');
  assert.equal((await secretStore.get('api-key')).reveal(), 'k-123');
} finally {
  await resources.close();
}

// The cloud and self-hosted providers and the pricing package load from the same install (no cloud call is made).
for (const name of ['aws', 'gcp', 'azure', 'selfhosted']) {
  const provider = await import(`@cloudmux/${name}`);
  assert.equal(provider.providerName, name);
}
const pricing = await import('@cloudmux/pricing');
assert.ok(Object.keys(pricing).length > 0, '@cloudmux/pricing has exports');
console.log('consumer smoke: object store, queue, warehouse and secrets on @cloudmux/local: ok');
