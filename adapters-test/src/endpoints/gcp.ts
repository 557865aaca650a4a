/**
 * Where the GCP contract suites run: the emulators by default (fake-gcs-server, pstest, and the
 * BigQuery and Secret Manager test servers), or a real project with CLOUDMUX_LIVE_GCP=1.
 *
 * Live mode uses Application Default Credentials and these variables:
 *   CLOUDMUX_GCP_PROJECT   project id (falls back to GOOGLE_CLOUD_PROJECT)
 *   CLOUDMUX_GCP_BUCKET    an existing bucket the object-store and warehouse suites may write to
 *   CLOUDMUX_GCP_LOCATION  BigQuery dataset location (default US)
 * Topics, subscriptions, datasets and secrets get unique names per run and are deleted after.
 */
import type { Endpoint } from '@cloudmux/conformance';
import {
  type BigQueryServer,
  EMULATOR_PROJECT,
  FAKE_GCS_MISSING,
  type FakeGcs,
  fakeGcsAvailable,
  PSTEST_MISSING,
  type Pstest,
  pstestAvailable,
  type SecretManagerServer,
  startBigQueryServer,
  startFakeGcs,
  startPstest,
  startSecretManagerServer,
} from '@cloudmux/emulators/gcp';

export const gcpLive = process.env.CLOUDMUX_LIVE_GCP === '1';

export interface GcpLiveConfig {
  projectId: string;
  bucket: string;
  location: string;
}

/** Live settings, or the reason live mode cannot run. */
export function gcpLiveConfig(): GcpLiveConfig | string {
  const projectId = process.env.CLOUDMUX_GCP_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT;
  const bucket = process.env.CLOUDMUX_GCP_BUCKET;
  if (!projectId) return 'CLOUDMUX_LIVE_GCP=1 needs CLOUDMUX_GCP_PROJECT (or GOOGLE_CLOUD_PROJECT)';
  if (!bucket) return 'CLOUDMUX_LIVE_GCP=1 needs CLOUDMUX_GCP_BUCKET (an existing bucket)';
  return { projectId, bucket, location: process.env.CLOUDMUX_GCP_LOCATION ?? 'US' };
}

export { EMULATOR_PROJECT };

export const gcsEndpoint: Endpoint = gcpLive ? 'live' : 'emulator:fake-gcs-server';
export const pubsubEndpoint: Endpoint = gcpLive ? 'live' : 'emulator:pstest';
export const bigqueryEndpoint: Endpoint = gcpLive ? 'live' : 'emulator:bigquery-server';
export const secretManagerEndpoint: Endpoint = gcpLive ? 'live' : 'emulator:secret-manager-server';

/** Why a suite cannot run here, or undefined when it can. */
export function gcpUnavailableReason(needs: { fakeGcs?: boolean; pstest?: boolean }): string | undefined {
  if (gcpLive) {
    const live = gcpLiveConfig();
    return typeof live === 'string' ? live : undefined;
  }
  if (needs.fakeGcs && !fakeGcsAvailable()) return FAKE_GCS_MISSING;
  if (needs.pstest && !pstestAvailable()) return PSTEST_MISSING;
  return undefined;
}

/** One emulator process per test file, started on first use. */
function shared<T extends { stop(): Promise<void> }>(start: () => Promise<T>) {
  let running: Promise<T> | undefined;
  return {
    get: () => {
      running ??= start();
      return running;
    },
    async stop() {
      const current = running;
      running = undefined;
      if (current) await (await current).stop();
    },
  };
}

export const sharedFakeGcs = shared<FakeGcs>(startFakeGcs);
export const sharedPstest = shared<Pstest>(startPstest);
export const sharedSecretManager = shared<SecretManagerServer>(startSecretManagerServer);
export const sharedBigQuery = shared<BigQueryServer>(async () =>
  startBigQueryServer({ gcsEndpoint: (await sharedFakeGcs.get()).endpoint }),
);
