import { parseProviderOptions } from '@cloudmux/core';
import { type GcpOptions, type GcpOptionsInput, gcpOptionsSchema } from '@cloudmux/gcp';
import { BigQuery } from '@google-cloud/bigquery';
import { Storage } from '@google-cloud/storage';
import {
  ensureApiKeySecret,
  ensurePipelineQueue,
  openCloud,
  PIPELINE,
  type ProvisionContext,
  type ProvisionResult,
  removeApiKeySecret,
  removePipelineQueues,
  Steps,
} from './step.ts';

export interface GcpProvisionInput {
  /** `providers.gcp` as it stands; must carry projectId. */
  base: GcpOptionsInput | Record<string, unknown>;
  /** Prefix of every name created. Default `cloudmux`. */
  name?: string;
  /** Bucket name (global across Google Cloud); default from the base, else `<name>-lake-<random>`. */
  bucket?: string;
}

function optionsOf(input: GcpProvisionInput): { options: Record<string, unknown>; parsed: GcpOptions } {
  const base = input.base as GcpOptionsInput;
  const name = input.name ?? 'cloudmux';
  const options: GcpOptionsInput = {
    ...base,
    storage: {
      ...base.storage,
      bucket:
        input.bucket ?? base.storage?.bucket ?? `${name}-lake-${Math.random().toString(36).slice(2, 10)}`,
    },
    // BigQuery dataset ids take letters, digits and underscores only.
    bigquery: { ...base.bigquery, dataset: base.bigquery?.dataset ?? name.replaceAll('-', '_') },
  };
  return {
    options: options as Record<string, unknown>,
    parsed: parseProviderOptions(gcpOptionsSchema, options, 'gcp'),
  };
}

function clients(parsed: GcpOptions) {
  const key = parsed.keyFilename ? { keyFilename: parsed.keyFilename } : {};
  const storage = new Storage({
    projectId: parsed.projectId,
    ...key,
    ...(parsed.storage?.apiEndpoint ? { apiEndpoint: parsed.storage.apiEndpoint } : {}),
  });
  const bigquery = new BigQuery({
    projectId: parsed.projectId,
    ...key,
    ...(parsed.bigquery?.apiEndpoint ? { apiEndpoint: parsed.bigquery.apiEndpoint } : {}),
  });
  return { storage, bigquery };
}

/**
 * Creates, idempotently, what the GCP provider needs: the Cloud Storage bucket, the Pub/Sub topic and
 * subscription with a dead-letter topic, the BigQuery dataset and the pipeline's API key secret.
 */
export async function provisionGcp(
  input: GcpProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const { options, parsed } = optionsOf(input);
  const steps = new Steps(context.onStep);
  const { storage, bigquery } = clients(parsed);
  const bucket = parsed.storage!.bucket;
  const location = parsed.bigquery?.location ?? parsed.location;
  const [bucketExists] = await storage.bucket(bucket).exists();
  if (bucketExists) steps.add('objectStore', 'exists', `Cloud Storage bucket ${bucket}`);
  else {
    await storage.createBucket(bucket, {
      location: parsed.location,
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true } },
    });
    steps.add('objectStore', 'created', `Cloud Storage bucket ${bucket} in ${parsed.location}`);
  }
  const resources = await openCloud('gcp', options, ['queue', 'secretStore'], context);
  try {
    await ensurePipelineQueue(resources, steps, 'Pub/Sub topic and subscription');
    await ensureApiKeySecret(resources, steps, 'Secret Manager');
  } finally {
    await resources.close();
  }
  const dataset = parsed.bigquery!.dataset;
  const [datasetExists] = await bigquery.dataset(dataset).exists();
  if (datasetExists) steps.add('warehouse', 'exists', `BigQuery dataset ${dataset}`);
  else {
    await bigquery.createDataset(dataset, { location });
    steps.add('warehouse', 'created', `BigQuery dataset ${dataset} in ${location}`);
  }
  return {
    options,
    steps: steps.list,
    manual: [
      `dead-lettering needs the Pub/Sub service agent to publish to the dead-letter topic and to acknowledge on the subscription: gcloud pubsub topics add-iam-policy-binding ${parsed.pubsub.topicPrefix}${PIPELINE.deadLetterQueue} --project ${parsed.projectId} --member=serviceAccount:service-<project-number>@gcp-sa-pubsub.iam.gserviceaccount.com --role=roles/pubsub.publisher`,
      `gcloud pubsub subscriptions add-iam-policy-binding ${parsed.pubsub.topicPrefix}${PIPELINE.queue} --project ${parsed.projectId} --member=serviceAccount:service-<project-number>@gcp-sa-pubsub.iam.gserviceaccount.com --role=roles/pubsub.subscriber`,
      `BigQuery loads read the bucket with the caller's own identity; grant it roles/storage.objectViewer on gs://${bucket} if the identity running the pipeline is not the one that provisioned (see docs/policies/gcp-role.json)`,
    ],
  };
}

/** Removes everything provisionGcp created; each step is a no-op when its resource is already gone. */
export async function teardownGcp(
  input: GcpProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const { options, parsed } = optionsOf(input);
  const steps = new Steps(context.onStep);
  const { storage, bigquery } = clients(parsed);
  const resources = await openCloud('gcp', options, ['queue', 'secretStore'], context);
  try {
    await removePipelineQueues(resources, steps, 'Pub/Sub topic and subscription');
    await removeApiKeySecret(resources, steps, 'Secret Manager');
  } finally {
    await resources.close();
  }
  const dataset = parsed.bigquery!.dataset;
  const [datasetExists] = await bigquery.dataset(dataset).exists();
  if (datasetExists) {
    await bigquery.dataset(dataset).delete({ force: true });
    steps.add('warehouse', 'deleted', `BigQuery dataset ${dataset} and its tables`);
  } else steps.add('warehouse', 'absent', `BigQuery dataset ${dataset}`);
  const bucket = parsed.storage!.bucket;
  const [bucketExists] = await storage.bucket(bucket).exists();
  if (bucketExists) {
    await storage.bucket(bucket).deleteFiles({ force: true });
    await storage.bucket(bucket).delete();
    steps.add('objectStore', 'deleted', `Cloud Storage bucket ${bucket} and every object in it`);
  } else steps.add('objectStore', 'absent', `Cloud Storage bucket ${bucket}`);
  return { options, steps: steps.list, manual: [] };
}
