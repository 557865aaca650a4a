/**
 * Warehouse contract × Amazon Redshift (Data API): against the wire-compatible Redshift Data API
 * test server (PGlite) with COPY reading from S3 on moto by default; a real Serverless workgroup or
 * provisioned cluster with CLOUDMUX_LIVE_AWS=1 (see src/emulators/aws.ts for the variables).
 */

import { createRedshiftWarehouse, createS3ObjectStore } from '@cloudmux/aws';
import { describeUnavailable, describeWarehouseContract, uniqueName } from '@cloudmux/conformance';
import { type RedshiftDataServer, startRedshiftDataServer } from '@cloudmux/emulators/aws';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  AWS_LIVE,
  awsClientConfig,
  awsEndpoint,
  awsUnavailableReason,
  awsUrlTarget,
  liveEnv,
  REGION,
  s3ClientConfig,
  stopSharedMoto,
  testBucket,
} from '../src/endpoints/aws.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const endpoint = AWS_LIVE ? 'live' : 'emulator:redshift-data-server';
const unavailable = awsUnavailableReason();
const COPY_ROLE = 'arn:aws:iam::123456789012:role/cloudmux-copy';

let server: Promise<RedshiftDataServer> | undefined;
const dataApiServer = () => {
  server ??= (async () => startRedshiftDataServer({ s3: await s3ClientConfig() }))();
  return server;
};
const emulatorWarehouse = async (dataApi: string) =>
  createRedshiftWarehouse({
    clientConfig: { ...(await awsClientConfig()), endpoint: dataApi },
    workgroupName: 'cloudmux-test',
    database: 'dev',
    iamRoleArn: COPY_ROLE,
    pollIntervalMs: 5,
    maxPollIntervalMs: 100,
  });
let bucket: Promise<string> | undefined;
const lakeBucket = () => {
  bucket ??= testBucket(uniqueName('cmx-wh'));
  return bucket;
};

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'aws', interface: 'warehouse', endpoint: awsEndpoint },
    unavailable,
  );
} else {
  afterAll(async () => {
    await (await server)?.stop();
    await stopSharedMoto();
  });
  describeWarehouseContract(vitest, {
    provider: 'aws',
    endpoint,
    async create() {
      if (AWS_LIVE) {
        const workgroupName = process.env.CLOUDMUX_AWS_REDSHIFT_WORKGROUP;
        return createRedshiftWarehouse({
          clientConfig: { region: REGION },
          ...(workgroupName
            ? { workgroupName }
            : {
                clusterIdentifier: liveEnv('CLOUDMUX_AWS_REDSHIFT_CLUSTER'),
                dbUser: liveEnv('CLOUDMUX_AWS_REDSHIFT_DB_USER'),
              }),
          database: liveEnv('CLOUDMUX_AWS_REDSHIFT_DATABASE'),
          iamRoleArn: liveEnv('CLOUDMUX_AWS_REDSHIFT_IAM_ROLE'),
        });
      }
      return emulatorWarehouse((await dataApiServer()).endpoint);
    },
    ...(AWS_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await dataApiServer()).endpoint,
            mode: 'http',
            flavor: 'aws',
            create: emulatorWarehouse,
          }),
        }),
    async destroy(warehouse) {
      await warehouse.close();
    },
    async openUrl() {
      if (AWS_LIVE) {
        const workgroupName = process.env.CLOUDMUX_AWS_REDSHIFT_WORKGROUP;
        const database = liveEnv('CLOUDMUX_AWS_REDSHIFT_DATABASE');
        const iamRoleArn = liveEnv('CLOUDMUX_AWS_REDSHIFT_IAM_ROLE');
        return workgroupName
          ? awsUrlTarget(`redshift://${workgroupName}/${database}`, { region: REGION }, { iamRoleArn })
          : awsUrlTarget(
              `redshift:///${database}`,
              { region: REGION },
              {
                iamRoleArn,
                clusterIdentifier: liveEnv('CLOUDMUX_AWS_REDSHIFT_CLUSTER'),
                dbUser: liveEnv('CLOUDMUX_AWS_REDSHIFT_DB_USER'),
              },
            );
      }
      const settings = { ...(await awsClientConfig()), endpoint: (await dataApiServer()).endpoint };
      const opener = awsUrlTarget('redshift://cloudmux-test/dev', settings, { iamRoleArn: COPY_ROLE });
      // Poll delays are tuning, not identity: they travel beside the URL.
      return {
        ...opener,
        providerOptions: {
          ...opener.providerOptions,
          redshift: { pollIntervalMs: 5, maxPollIntervalMs: 100 },
        },
      };
    },
    async lake() {
      return createS3ObjectStore({
        bucket: await lakeBucket(),
        prefix: `${uniqueName('lake')}/`,
        clientConfig: await s3ClientConfig(),
      });
    },
  });
}
