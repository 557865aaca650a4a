/** Amazon Web Services: S3, SQS, Redshift (Data API), Secrets Manager. */
import { defineProvider, type ParsedResourceUrl } from './types.ts';
import { defined, directoryPrefix, flag, namePrefix, positiveInteger, singleSegment } from './url-options.ts';

/** What every AWS URL may say: the region and an endpoint (emulators, VPC or FIPS endpoints). */
const CLIENT = ['region', 'endpoint'] as const;
const client = (url: ParsedResourceUrl, service: string) =>
  defined({
    region: url.query.get('region'),
    endpoints: url.query.has('endpoint') ? { [service]: url.query.get('endpoint') } : undefined,
  });

export const AWS_PROVIDER = defineProvider({
  name: 'aws',
  package: '@cloudmux/aws',
  kind: 'cloud',
  title: 'Amazon Web Services: S3, SQS, Redshift, Secrets Manager',
  schemes: {
    objectStore: {
      s3: {
        parameters: [...CLIENT, 'forcePathStyle', 'requestChecksumCalculation'],
        host: 'bucket',
        example: 's3://bucket/prefix?region=eu-west-1',
        options: (url) => ({
          ...client(url, 's3'),
          s3: defined({
            bucket: url.host,
            prefix: directoryPrefix(url) || undefined,
            forcePathStyle: flag(url, 'forcePathStyle'),
            requestChecksumCalculation: url.query.get('requestChecksumCalculation'),
          }),
        }),
      },
    },
    queue: {
      sqs: {
        parameters: CLIENT,
        example: 'sqs:///queue-prefix-?region=eu-west-1',
        options: (url) => ({ ...client(url, 'sqs'), sqs: defined({ queuePrefix: namePrefix(url) }) }),
      },
    },
    warehouse: {
      redshift: {
        parameters: [...CLIENT, 'schema', 'clusterIdentifier', 'dbUser', 'secretArn', 'iamRoleArn'],
        host: 'workgroup',
        hostOptional: true,
        example:
          'redshift://workgroup/database?region=eu-west-1 (or redshift:///database?clusterIdentifier=…)',
        options: (url) => ({
          ...client(url, 'redshiftData'),
          redshift: defined({
            workgroupName: url.host || undefined,
            clusterIdentifier: url.query.get('clusterIdentifier'),
            dbUser: url.query.get('dbUser'),
            secretArn: url.query.get('secretArn'),
            database: singleSegment(url, 'database', 'redshift://workgroup/database'),
            schema: url.query.get('schema'),
            iamRoleArn: url.query.get('iamRoleArn'),
          }),
        }),
      },
    },
    secretStore: {
      awssecretsmanager: {
        parameters: [...CLIENT, 'recoveryWindowDays', 'forceDelete'],
        example: 'awssecretsmanager:///app/prod/?region=eu-west-1',
        options: (url) => ({
          ...client(url, 'secretsManager'),
          secretsManager: defined({
            prefix: namePrefix(url),
            recoveryWindowDays: positiveInteger(url, 'recoveryWindowDays'),
            forceDelete: flag(url, 'forceDelete'),
          }),
        }),
      },
    },
  },
});
