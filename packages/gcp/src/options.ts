import { z } from 'zod';

/**
 * Options of the GCP provider (`providers.gcp` in the config). Credentials always come from
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity, gcloud user
 * credentials, the metadata server); `keyFilename` only points ADC at a specific key file.
 */
export const gcpOptionsSchema = z
  .object({
    /** Project that owns the bucket, topics, dataset and secrets. */
    projectId: z.string().min(1),
    /** Default location for resources that have one (BigQuery dataset, user-managed replicas). Default `US`. */
    location: z.string().min(1).default('US'),
    /** Service account key file for ADC; omit to use the ambient credentials. */
    keyFilename: z.string().min(1).optional(),
    storage: z
      .object({
        /** Bucket holding the objects; must exist (the adapter never creates buckets). */
        bucket: z.string().min(3),
        /** Key prefix inside the bucket, e.g. `lake/`; every key the adapter sees is relative to it. */
        prefix: z.string().default(''),
        /** Streams and bodies of at least this many bytes use a resumable upload. Default 8 MiB. */
        resumableThresholdBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        /** Emulator or private endpoint, e.g. `http://127.0.0.1:4443` (fake-gcs-server). */
        apiEndpoint: z.string().url().optional(),
      })
      .strict()
      .optional(),
    pubsub: z
      .object({
        /** Prefix of topic and subscription ids, so several apps can share a project. Default `cloudmux-`. */
        topicPrefix: z.string().default('cloudmux-'),
        /** Emulator endpoint `host:port` (pstest); plain-text gRPC without credentials. */
        apiEndpoint: z.string().min(1).optional(),
        /** Publish batching: messages per batch, bytes per batch, max wait before a batch is sent. */
        batching: z
          .object({
            maxMessages: z.number().int().positive().max(1000).default(100),
            maxBytes: z
              .number()
              .int()
              .positive()
              .default(1024 * 1024),
            maxMilliseconds: z.number().int().nonnegative().default(10),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    bigquery: z
      .object({
        /** Dataset holding the tables; created in `location` if missing. */
        dataset: z.string().min(1),
        /** Dataset and job location; defaults to the provider's `location`. */
        location: z.string().min(1).optional(),
        /** Emulator endpoint, e.g. `http://127.0.0.1:9050` (the bigquery test server). */
        apiEndpoint: z.string().url().optional(),
      })
      .strict()
      .optional(),
    secretManager: z
      .object({
        /** Prefix of secret ids, so `list()` sees only this app's secrets. Default none. */
        prefix: z.string().default(''),
        /** `automatic` (Google picks regions) or user-managed replicas in the given locations. */
        replication: z
          .union([
            z.literal('automatic'),
            z.object({ userManaged: z.array(z.string().min(1)).min(1) }).strict(),
          ])
          .default('automatic'),
        /** Emulator endpoint `host:port` (the secret manager test server), plain-text gRPC. */
        apiEndpoint: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type GcpOptions = z.output<typeof gcpOptionsSchema>;
export type GcpOptionsInput = z.input<typeof gcpOptionsSchema>;
