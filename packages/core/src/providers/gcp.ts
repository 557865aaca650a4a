/** Google Cloud: Cloud Storage, Pub/Sub, BigQuery, Secret Manager. The URL's host is the project. */
import { defineProvider } from './types.ts';
import { defined, directoryPrefix, namePrefix, singleSegment } from './url-options.ts';

export const GCP_PROVIDER = defineProvider({
  name: 'gcp',
  package: '@cloudmux/gcp',
  kind: 'cloud',
  title: 'Google Cloud: Cloud Storage, Pub/Sub, BigQuery, Secret Manager',
  schemes: {
    objectStore: {
      // The bucket is the host (as gsutil writes it), so the project is a parameter here.
      gs: {
        parameters: ['projectId', 'endpoint'],
        host: 'bucket',
        example: 'gs://bucket/prefix?projectId=my-project',
        options: (url) =>
          defined({
            projectId: url.query.get('projectId'),
            storage: defined({
              bucket: url.host,
              prefix: directoryPrefix(url),
              apiEndpoint: url.query.get('endpoint'),
            }),
          }),
      },
    },
    queue: {
      gcppubsub: {
        parameters: ['endpoint'],
        host: 'project',
        example: 'gcppubsub://my-project/topic-prefix-',
        options: (url) => ({
          projectId: url.host,
          pubsub: defined({ topicPrefix: namePrefix(url), apiEndpoint: url.query.get('endpoint') }),
        }),
      },
    },
    warehouse: {
      bigquery: {
        parameters: ['location', 'endpoint'],
        host: 'project',
        example: 'bigquery://my-project/dataset?location=EU',
        options: (url) => ({
          projectId: url.host,
          bigquery: defined({
            dataset: singleSegment(url, 'dataset', 'bigquery://my-project/dataset'),
            location: url.query.get('location'),
            apiEndpoint: url.query.get('endpoint'),
          }),
        }),
      },
    },
    secretStore: {
      gcpsecretmanager: {
        parameters: ['endpoint'],
        host: 'project',
        example: 'gcpsecretmanager://my-project/secret-prefix-',
        options: (url) => ({
          projectId: url.host,
          secretManager: defined({ prefix: namePrefix(url), apiEndpoint: url.query.get('endpoint') }),
        }),
      },
    },
  },
});
