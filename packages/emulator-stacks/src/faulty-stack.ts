/**
 * An emulator stack's config with every service behind its own fault proxy, for chaos runs of
 * whole applications: processes opened from the returned config (the pipeline's consumers too)
 * reach each emulator only through its proxy, so a test can cut, throttle or slow one service.
 */
import type { CloudmuxConfigInput } from '@cloudmux/core';
import {
  type FaultProxy,
  type FaultProxyOptions,
  registerProxyOrigin,
  startFaultProxy,
} from '@cloudmux/emulators';
import type { EmulatedProvider } from './emulator-stacks.ts';

export interface FaultyStack {
  /** The stack's config with each service's address replaced by its proxy's. */
  config: CloudmuxConfigInput;
  /** One proxy per service, by service name (`s3`, `sqs`, `pubsub`, `blob`, …). */
  proxies: Record<string, FaultProxy>;
  /** Which resource each service serves. */
  roles: Record<string, ResourceRole>;
  /** Stops the proxies (the emulators belong to the stack). */
  stop(): Promise<void>;
}

type Section = Record<string, unknown>;
export type ResourceRole = 'objectStore' | 'queue' | 'warehouse' | 'secretStore';

const ROLES: Record<string, ResourceRole> = {
  s3: 'objectStore',
  sqs: 'queue',
  secretsManager: 'secretStore',
  redshiftData: 'warehouse',
  storage: 'objectStore',
  pubsub: 'queue',
  bigquery: 'warehouse',
  secretManager: 'secretStore',
  blob: 'objectStore',
  queue: 'queue',
  synapse: 'warehouse',
  keyVault: 'secretStore',
};

/** Puts each service of `config` (as the emulator stacks build it) behind a fault proxy. */
export async function behindFaultProxies(
  provider: EmulatedProvider,
  config: CloudmuxConfigInput,
): Promise<FaultyStack> {
  const rewritten = structuredClone(config) as CloudmuxConfigInput;
  const providers = rewritten.providers as Record<string, Section>;
  const section = providers[provider]!;
  const proxies: Record<string, FaultProxy> = {};
  const undo: Array<() => void> = [];
  const proxy = async (
    service: string,
    target: string,
    mode: FaultProxyOptions['mode'],
    flavor?: FaultProxyOptions['flavor'],
  ) => {
    const running = await startFaultProxy({ target, mode, ...(flavor ? { flavor } : {}) });
    proxies[service] = running;
    if (mode === 'http') undo.push(registerProxyOrigin(running.endpoint, new URL(target).origin));
    return running;
  };
  const stop = async () => {
    for (const forget of undo.splice(0)) forget();
    for (const running of Object.values(proxies)) await running.stop();
  };
  try {
    switch (provider) {
      case 'aws': {
        const endpoints = section.endpoints as Record<string, string>;
        for (const service of Object.keys(endpoints)) {
          endpoints[service] = (await proxy(service, endpoints[service]!, 'http', 'aws')).endpoint;
        }
        break;
      }
      case 'gcp': {
        const storage = section.storage as Section;
        storage.apiEndpoint = (await proxy('storage', storage.apiEndpoint as string, 'http', 'gcp')).endpoint;
        const bigquery = section.bigquery as Section;
        bigquery.apiEndpoint = (
          await proxy('bigquery', bigquery.apiEndpoint as string, 'http', 'gcp')
        ).endpoint;
        // gRPC endpoints are host:port.
        for (const service of ['pubsub', 'secretManager']) {
          const grpc = section[service] as Section;
          const running = await proxy(service, grpc.apiEndpoint as string, 'tcp');
          grpc.apiEndpoint = `${running.host}:${running.port}`;
        }
        break;
      }
      case 'azure': {
        for (const [service, key] of [
          ['blob', 'BlobEndpoint'],
          ['queue', 'QueueEndpoint'],
        ] as const) {
          const storage = section[service] as Section;
          const connection = storage.connectionString as string;
          const endpoint = new RegExp(`${key}=([^;]+)`).exec(connection)?.[1];
          if (!endpoint) throw new Error(`azure ${service}: no ${key} in the connection string`);
          const url = new URL(endpoint);
          const running = await proxy(service, url.origin, 'http', 'azure-storage');
          storage.connectionString = connection.replace(endpoint, `${running.endpoint}${url.pathname}`);
        }
        const synapse = section.synapse as Section;
        const tds = await proxy('synapse', `${synapse.server as string}:${synapse.port as number}`, 'tcp');
        synapse.server = tds.host;
        synapse.port = tds.port;
        // TLS end to end between client and test server: only connection faults apply.
        const keyVault = section.keyVault as Section;
        const vault = new URL(keyVault.vaultUrl as string);
        const tls = await proxy('keyVault', vault.host, 'tcp');
        keyVault.vaultUrl = `https://${tls.host}:${tls.port}`;
        break;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const roles = Object.fromEntries(Object.keys(proxies).map((service) => [service, ROLES[service]!]));
  return { config: rewritten, proxies, roles, stop };
}
