/**
 * AWS emulators: moto (S3, SQS, Secrets Manager) and the Redshift Data API and Redshift Serverless
 * test servers. fauxqs has its own entry (`@cloudmux/emulators/aws/fauxqs`): most runs never start it.
 */
export { MOTO_BIN, MOTO_VENV, motoMissingReason, type RunningEmulator, startMoto } from './moto.ts';
export {
  bindNamedParameters,
  type RedshiftDataServer,
  type RedshiftDataServerOptions,
  startRedshiftDataServer,
} from './redshift-data-server.ts';
export {
  type RedshiftServerlessServer,
  type RedshiftServerlessServerOptions,
  startRedshiftServerlessServer,
} from './redshift-serverless-server.ts';
