import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GcpOptions } from '@cloudmux/gcp';
import { BigQuery } from '@google-cloud/bigquery';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { GoogleAuth } from 'google-auth-library';
import { PIPELINE_QUEUE } from './aws.ts';
import { type DoctorCheck, describeError, ok, problem, warning } from './check.ts';
import { checkClock } from './clock.ts';
import type { CloudUnderTest } from './config.ts';
import { type ProbeContext, probeThroughAdapter } from './probe.ts';

const CREDENTIAL_FIX =
  'run `gcloud auth application-default login` (a person), or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file or providers.gcp.keyFilename, or run on GCP with an attached service account';

/** Whether each service in use points at an emulator, which takes no credentials. */
function allEmulated(target: CloudUnderTest): boolean {
  const o = target.options as GcpOptions;
  const endpoints = {
    objectStore: o.storage?.apiEndpoint,
    queue: o.pubsub.apiEndpoint,
    warehouse: o.bigquery?.apiEndpoint,
    secretStore: o.secretManager.apiEndpoint,
  };
  return target.kinds.every((kind) => endpoints[kind] !== undefined);
}

const wellKnownFile = (env: NodeJS.ProcessEnv) =>
  join(env.CLOUDSDK_CONFIG ?? join(homedir(), '.config', 'gcloud'), 'application_default_credentials.json');

/** Application Default Credentials, in ADC's own order: key file variable, gcloud's file, the metadata server. */
export async function checkGcpCredentials(
  target: CloudUnderTest,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck> {
  if (allEmulated(target))
    return ok('credentials', 'not needed: every service in use points at an emulator', 'gcp');
  const options = target.options as GcpOptions;
  const keyFile = options.keyFilename ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  const tried = [
    keyFile
      ? `key file ${keyFile}${existsSync(keyFile) ? '' : ' (missing)'}`
      : 'GOOGLE_APPLICATION_CREDENTIALS (unset)',
    `gcloud ADC file ${wellKnownFile(env)}${existsSync(wellKnownFile(env)) ? '' : ' (missing)'}`,
    'the GCE/GKE/Cloud Run metadata server',
  ];
  const auth = new GoogleAuth({
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    ...(keyFile ? { keyFilename: keyFile } : {}),
  });
  try {
    await auth.getClient();
    const source = keyFile
      ? `key file ${keyFile}`
      : existsSync(wellKnownFile(env))
        ? `gcloud ADC file ${wellKnownFile(env)}`
        : 'the metadata server';
    const projectId = await auth.getProjectId().catch(() => undefined);
    return ok('credentials', `found: ${source}${projectId ? ` (project ${projectId})` : ''}`, 'gcp');
  } catch (error) {
    return problem(
      'credentials',
      `no Google credentials found (${describeError(error)}); tried ${tried.join('; ')}`,
      CREDENTIAL_FIX,
      'gcp',
    );
  }
}

const LOCATION = /^(US|EU|[a-z]+-[a-z]+\d+)$/;

export function checkGcpRegion(options: GcpOptions): DoctorCheck {
  const locations = [
    ['providers.gcp.location', options.location],
    ['providers.gcp.bigquery.location', options.bigquery?.location],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  const bad = locations.filter(([, value]) => !LOCATION.test(value));
  if (bad.length) {
    return problem(
      'region',
      bad.map(([field, value]) => `${field} '${value}' is not a location name`).join('; '),
      'use a multi-region (US, EU) or a region such as europe-west1 (`gcloud compute regions list`)',
      'gcp',
    );
  }
  return ok('region', locations.map(([field, value]) => `${field}=${value}`).join(', '), 'gcp');
}

export async function checkGcpResources(target: CloudUnderTest): Promise<DoctorCheck[]> {
  const options = target.options as GcpOptions;
  const checks: DoctorCheck[] = [];
  const keyFilename = options.keyFilename ? { keyFilename: options.keyFilename } : {};
  if (target.kinds.includes('objectStore') && options.storage) {
    const { bucket, apiEndpoint } = options.storage;
    const storage = new Storage({
      projectId: options.projectId,
      ...keyFilename,
      ...(apiEndpoint ? { apiEndpoint } : {}),
    });
    try {
      const [exists] = await storage.bucket(bucket).exists();
      checks.push(
        exists
          ? ok('resource:objectStore', `Cloud Storage bucket ${bucket} exists`, 'gcp')
          : problem(
              'resource:objectStore',
              `Cloud Storage bucket ${bucket} does not exist`,
              `create it: \`cloudmux provision --provider gcp\` or \`gcloud storage buckets create gs://${bucket} --location=${options.location}\``,
              'gcp',
            ),
      );
    } catch (error) {
      checks.push(gcpProblem('resource:objectStore', `Cloud Storage buckets.get ${bucket}`, error));
    }
  }
  if (target.kinds.includes('queue')) {
    const pubsub = new PubSub({
      projectId: options.projectId,
      ...keyFilename,
      ...(options.pubsub.apiEndpoint ? { apiEndpoint: options.pubsub.apiEndpoint } : {}),
    });
    const topic = `${options.pubsub.topicPrefix}${PIPELINE_QUEUE}`;
    try {
      const [exists] = await pubsub.topic(topic).exists();
      checks.push(
        exists
          ? ok('resource:queue', `Pub/Sub topic ${topic} exists`, 'gcp')
          : warning(
              'resource:queue',
              `Pub/Sub topic ${topic} does not exist yet (the pipeline creates it without a dead-letter topic)`,
              'run `cloudmux provision --provider gcp` to create it with its dead-letter topic',
              'gcp',
            ),
      );
    } catch (error) {
      checks.push(gcpProblem('resource:queue', `Pub/Sub topics.get ${topic}`, error));
    } finally {
      await pubsub.close();
    }
  }
  if (target.kinds.includes('warehouse') && options.bigquery) {
    const { dataset, apiEndpoint } = options.bigquery;
    const location = options.bigquery.location ?? options.location;
    const bigquery = new BigQuery({
      projectId: options.projectId,
      ...keyFilename,
      ...(apiEndpoint ? { apiEndpoint } : {}),
    });
    try {
      const [exists] = await bigquery.dataset(dataset).exists();
      if (!exists) {
        checks.push(
          warning(
            'resource:warehouse',
            `BigQuery dataset ${dataset} does not exist yet (the adapter creates it in ${location} on first use)`,
            'run `cloudmux provision --provider gcp` to create it now',
            'gcp',
          ),
        );
      } else {
        const [metadata] = await bigquery.dataset(dataset).getMetadata();
        const actual = (metadata as { location?: string }).location;
        checks.push(
          actual && actual.toLowerCase() !== location.toLowerCase()
            ? problem(
                'resource:warehouse',
                `BigQuery dataset ${dataset} is in ${actual}, the config says ${location}: jobs would run in the wrong location`,
                `set providers.gcp.bigquery.location to "${actual}"`,
                'gcp',
              )
            : ok(
                'resource:warehouse',
                `BigQuery dataset ${dataset} exists${actual ? ` in ${actual}` : ''}`,
                'gcp',
              ),
        );
      }
    } catch (error) {
      checks.push(gcpProblem('resource:warehouse', `BigQuery datasets.get ${dataset}`, error));
    }
  }
  return checks;
}

export async function checkGcpPermissions(
  target: CloudUnderTest,
  context: ProbeContext,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const kind of ['objectStore', 'warehouse', 'secretStore'] as const) {
    if (target.kinds.includes(kind)) checks.push(await probeThroughAdapter('gcp', kind, context));
  }
  return checks;
}

export function checkGcpClock(options: GcpOptions): Promise<DoctorCheck> {
  // OAuth tokens and signed URLs are checked against Google's clock; 5 minutes is the usual tolerance.
  return checkClock('gcp', options.storage?.apiEndpoint ?? 'https://storage.googleapis.com', 300);
}

function gcpProblem(check: string, call: string, error: unknown): DoctorCheck {
  const code = (error as { code?: number | string }).code;
  const detail = `${call} failed: ${describeError(error)}`;
  if (
    code === 401 ||
    code === 16 ||
    /Could not load the default credentials/.test(String((error as Error).message))
  ) {
    return problem(check, detail, CREDENTIAL_FIX, 'gcp');
  }
  if (code === 403 || code === 7)
    return problem(
      check,
      detail,
      'grant the roles in docs/policies/gcp-role.json to the service account or user',
      'gcp',
    );
  return problem(
    check,
    detail,
    'check providers.gcp (projectId, endpoints) and the network path to Google',
    'gcp',
  );
}
