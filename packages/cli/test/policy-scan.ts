/**
 * The SDK calls each adapter makes, read from the adapters' sources — the ground truth the policy
 * table is checked against.
 *
 * AWS: every `new XxxCommand(` (plus lib-storage's `new Upload(` and the presigner's
 * `getSignedUrl(`): the SDK v3 sends exactly one request per command object, so the command names
 * are the calls. GCP and Azure: their clients are objects with methods, so every `.name(` in an
 * adapter file whose name is a method of one of that file's SDK classes (found by reflection on the
 * installed SDK) counts. Names every JavaScript object has (Map/Array/Promise/EventEmitter methods
 * such as `get`, `delete`, `on`) are left out of the scan because they cannot be told apart from
 * non-SDK calls by name; the table→source direction of the test still checks them.
 *
 * Why a scan and not recording requests during the contract suites: the scan covers every code path
 * (abort, multipart clean-up, rare errors), needs no emulator, and fails the moment a new call is
 * written without a policy entry; a recording sees only the paths one run happened to take.
 */
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export type Cloud = 'aws' | 'gcp' | 'azure';

/** Adapter sources of each provider package in this repository (test tooling reads sources, not builds). */
export function adapterDir(cloud: Cloud): string {
  return fileURLToPath(new URL(`../../${cloud}/src`, import.meta.url));
}

export function adapterFiles(cloud: Cloud): string[] {
  const dir = adapterDir(cloud);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort();
}

const GENERIC = new Set<string>([
  ...[Map, Set, Array, Promise, Object, String, EventEmitter, Readable].flatMap((type) =>
    Object.getOwnPropertyNames(type.prototype),
  ),
]);

function methodsOf(classes: Array<abstract new (...args: never[]) => unknown>): Set<string> {
  const names = new Set<string>();
  for (const type of classes) {
    for (
      let proto = type.prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name !== 'constructor' && !name.startsWith('_') && !GENERIC.has(name)) names.add(name);
      }
    }
  }
  return names;
}

/** The SDK classes whose methods each GCP and Azure adapter file calls. */
async function sdkClasses(
  cloud: Cloud,
  file: string,
): Promise<Array<abstract new (...args: never[]) => unknown>> {
  const pick = <T>(module: T, ...names: Array<keyof T>) =>
    names.map((name) => module[name] as unknown as abstract new (...args: never[]) => unknown);
  if (cloud === 'gcp') {
    switch (file) {
      case 'gcs-object-store.ts':
        return pick(await import('@google-cloud/storage'), 'Storage', 'Bucket', 'File');
      case 'pubsub-queue.ts': {
        const pubsub = await import('@google-cloud/pubsub');
        return [...pick(pubsub, 'PubSub', 'Topic', 'Subscription'), pubsub.v1.SubscriberClient as never];
      }
      case 'bigquery-warehouse.ts':
        return pick(await import('@google-cloud/bigquery'), 'BigQuery', 'Dataset', 'Table', 'Job');
      case 'secret-manager-secret-store.ts':
        return pick(await import('@google-cloud/secret-manager'), 'SecretManagerServiceClient');
    }
  }
  if (cloud === 'azure') {
    switch (file) {
      case 'blob-object-store.ts':
        return pick(
          await import('@azure/storage-blob'),
          'BlobServiceClient',
          'ContainerClient',
          'BlobClient',
          'BlockBlobClient',
        );
      case 'queue-storage-queue.ts':
        return pick(await import('@azure/storage-queue'), 'QueueServiceClient', 'QueueClient');
      case 'key-vault-secret-store.ts':
        return pick(await import('@azure/keyvault-secrets'), 'SecretClient');
    }
  }
  return [];
}

/** `file → calls` for one provider, as the sources stand. */
export async function scanAdapterCalls(cloud: Cloud): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  for (const file of adapterFiles(cloud)) {
    const source = readFileSync(`${adapterDir(cloud)}/${file}`, 'utf8');
    const calls = new Set<string>();
    if (cloud === 'aws') {
      for (const match of source.matchAll(/new ([A-Z][A-Za-z0-9]*Command)\(/g)) calls.add(match[1]!);
      if (/new Upload\(/.test(source)) calls.add('Upload');
      if (/\bgetSignedUrl\(/.test(source)) calls.add('getSignedUrl');
    } else {
      const methods = methodsOf(await sdkClasses(cloud, file));
      for (const match of source.matchAll(/\.([A-Za-z][A-Za-z0-9]*)\(/g)) {
        if (methods.has(match[1]!)) calls.add(match[1]!);
      }
    }
    if (calls.size) found.set(file, calls);
  }
  return found;
}
