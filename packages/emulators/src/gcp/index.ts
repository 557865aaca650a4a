/**
 * GCP emulators: fake-gcs-server (Cloud Storage), pstest (Pub/Sub), and the BigQuery and Secret
 * Manager test servers. Importing any of them turns off the GCE metadata probe (`offline.ts`).
 */
export {
  type BigQueryServer,
  type BigQueryServerOptions,
  startBigQueryServer,
} from './bigquery-server/server.ts';
export { translateSql } from './bigquery-server/sql.ts';
export { FAKE_GCS_MISSING, type FakeGcs, fakeGcsAvailable, startFakeGcs } from './fake-gcs.ts';
export { PSTEST_MISSING, type Pstest, pstestAvailable, startPstest } from './pstest.ts';
export { type SecretManagerServer, startSecretManagerServer } from './secret-manager-server.ts';
export { throwawayServiceAccount } from './signing-key.ts';

/** The project id every GCP emulator and test server is addressed with. */
export const EMULATOR_PROJECT = 'cloudmux-emulator';
