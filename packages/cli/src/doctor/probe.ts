import { type CloudmuxConfig, CloudmuxError, openResources, type ResourceName } from '@cloudmux/core';
import { type DoctorCheck, describeError, ok, problem } from './check.ts';
import type { Cloud } from './config.ts';

export interface ProbeContext {
  config: CloudmuxConfig;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  providerModules: Record<string, string>;
}

const PROBE: Partial<Record<ResourceName, { call: string; run: (resource: never) => Promise<unknown> }>> = {
  objectStore: {
    call: 'list (one key)',
    run: (store: { list(o: { limit: number }): Promise<unknown> }) => store.list({ limit: 1 }),
  },
  warehouse: {
    call: "query 'SELECT 1'",
    run: (warehouse: { query(sql: string): Promise<unknown> }) => warehouse.query('SELECT 1 AS ok'),
  },
  secretStore: {
    call: 'list secrets',
    run: (store: { list(): Promise<unknown> }) => store.list(),
  },
};

const FIX_BY_CODE: Record<string, (cloud: Cloud) => string> = {
  Unauthenticated: (cloud) => `fix the ${cloud} credentials first (see the credentials check above)`,
  PermissionDenied: (cloud) =>
    `grant docs/policies/${cloud === 'aws' ? 'aws.json' : `${cloud}-role.json`} to the identity the credentials belong to (docs/policies/README.md says how)`,
  NotFound: (cloud) => `create it: \`cloudmux provision --provider ${cloud}\``,
  Unavailable: (cloud) => `check the endpoint in providers.${cloud} and the network path to it`,
  Timeout: (cloud) => `check the endpoint in providers.${cloud} and the network path to it`,
};

/**
 * A harmless call through the adapter itself: the check passes exactly when the pipeline's own
 * code path (client set-up, authentication, TLS, the first request) works with these credentials.
 */
export async function probeThroughAdapter(
  cloud: Cloud,
  kind: ResourceName,
  context: ProbeContext,
): Promise<DoctorCheck> {
  const probe = PROBE[kind];
  const check = `access:${kind}`;
  if (!probe) throw new Error(`no probe for ${kind}`);
  const config: CloudmuxConfig = {
    ...context.config,
    resources: { ...context.config.resources, [kind]: cloud },
  };
  let resources: Awaited<ReturnType<typeof openResources>> | undefined;
  try {
    resources = await openResources(config, {
      importer: (specifier) => import(specifier),
      baseDir: context.baseDir,
      env: context.env,
      providers: context.providerModules,
      only: [kind],
      meterOptions: { retry: false },
    });
    await probe.run(resources[kind] as never);
    return ok(check, `${probe.call} through the ${cloud} adapter succeeded`, cloud);
  } catch (error) {
    const code = CloudmuxError.isInstance(error) ? error.code : 'Internal';
    const fix =
      FIX_BY_CODE[code]?.(cloud) ?? `see the error; docs/live.md lists what each ${cloud} resource needs`;
    const message = CloudmuxError.isInstance(error) ? `${code}: ${error.message}` : describeError(error);
    return problem(check, `${probe.call} through the ${cloud} adapter failed: ${message}`, fix, cloud);
  } finally {
    await resources?.close();
  }
}
