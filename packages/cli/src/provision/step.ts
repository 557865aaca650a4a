import { randomBytes } from 'node:crypto';
import {
  type CloudmuxConfig,
  CloudmuxError,
  openResources,
  parseConfig,
  type Resources,
} from '@cloudmux/core';

/** What provision or teardown did to one resource. */
export interface ProvisionStep {
  resource: string;
  action: 'created' | 'exists' | 'deleted' | 'absent';
  detail: string;
}

export interface ProvisionResult {
  /** The provider section to write into cloudmux.config.json (`providers.<cloud>`). */
  options: Record<string, unknown>;
  steps: ProvisionStep[];
  /** What no API can do for us here: exact commands or portal steps, in order. */
  manual: string[];
}

export interface ProvisionContext {
  /** Called as each step finishes. */
  onStep?: (step: ProvisionStep) => void;
  /** Provider module overrides (the pipeline's PIPELINE_PROVIDER_MODULES). */
  providerModules?: Record<string, string>;
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Delay between polls of resources that are created or deleted asynchronously. Default 5 s. */
  pollIntervalMs?: number;
}

/** The pipeline's queue (apps/pipeline LAYOUT.queue), its dead-letter queue and its API key secret. */
export const PIPELINE = {
  queue: 'flight-events',
  deadLetterQueue: 'flight-events-dlq',
  maxDeliveries: 5,
  apiKeySecret: 'pipeline-ingest-api-key',
} as const;

export class Steps {
  readonly list: ProvisionStep[] = [];
  readonly #onStep: ((step: ProvisionStep) => void) | undefined;
  constructor(onStep?: (step: ProvisionStep) => void) {
    this.#onStep = onStep;
  }
  add(resource: string, action: ProvisionStep['action'], detail: string): void {
    const step = { resource, action, detail };
    this.list.push(step);
    this.#onStep?.(step);
  }
}

/**
 * Opens resources of one cloud through the registry (the same adapters, SDKs and provider-module
 * overrides the pipeline uses), without retries: provisioning reports a failure at once.
 */
export async function openCloud(
  cloud: string,
  options: Record<string, unknown>,
  only: Array<'queue' | 'secretStore' | 'objectStore'>,
  context: ProvisionContext,
): Promise<Resources> {
  const config: CloudmuxConfig = parseConfig({
    resources: { objectStore: cloud, queue: cloud, warehouse: cloud, secretStore: cloud },
    providers: { [cloud]: options },
  });
  return openResources(config, {
    importer: (specifier) => import(specifier),
    only,
    meterOptions: { retry: false },
    ...(context.providerModules ? { providers: context.providerModules } : {}),
    ...(context.baseDir ? { baseDir: context.baseDir } : {}),
    ...(context.env ? { env: context.env } : {}),
  });
}

/** The pipeline's queue with its dead-letter queue, through the adapter's own ensureQueue (idempotent). */
export async function ensurePipelineQueue(
  resources: Resources,
  steps: Steps,
  service: string,
): Promise<void> {
  await resources.queue.ensureQueue(PIPELINE.queue, {
    deadLetterQueue: PIPELINE.deadLetterQueue,
    maxDeliveries: PIPELINE.maxDeliveries,
  });
  steps.add(
    'queue',
    'exists',
    `${service} ${PIPELINE.queue} with dead-letter queue ${PIPELINE.deadLetterQueue} after ${PIPELINE.maxDeliveries} deliveries (created if missing)`,
  );
}

export async function removePipelineQueues(
  resources: Resources,
  steps: Steps,
  service: string,
): Promise<void> {
  for (const name of [PIPELINE.queue, PIPELINE.deadLetterQueue]) {
    try {
      // Some adapters delete idempotently (Queue Storage's deleteIfExists); asking for the depth
      // first tells an absent queue from a deleted one on every provider.
      if (resources.queue.capabilities.approximateDepth) await resources.queue.depth(name);
      await resources.queue.deleteQueue(name);
      steps.add('queue', 'deleted', `${service} ${name}`);
    } catch (error) {
      if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
      steps.add('queue', 'absent', `${service} ${name}`);
    }
  }
}

/** The pipeline's ingest API key: a random value, created only when the secret is missing. */
export async function ensureApiKeySecret(resources: Resources, steps: Steps, service: string): Promise<void> {
  try {
    await resources.secretStore.get(PIPELINE.apiKeySecret);
    steps.add('secretStore', 'exists', `${service} secret ${PIPELINE.apiKeySecret}`);
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
    await resources.secretStore.put(PIPELINE.apiKeySecret, randomBytes(32).toString('base64url'));
    steps.add(
      'secretStore',
      'created',
      `${service} secret ${PIPELINE.apiKeySecret} (random value, never printed)`,
    );
  }
}

export async function removeApiKeySecret(resources: Resources, steps: Steps, service: string): Promise<void> {
  try {
    await resources.secretStore.delete(PIPELINE.apiKeySecret, { force: true });
    steps.add('secretStore', 'deleted', `${service} secret ${PIPELINE.apiKeySecret}`);
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
    steps.add('secretStore', 'absent', `${service} secret ${PIPELINE.apiKeySecret}`);
  }
}
