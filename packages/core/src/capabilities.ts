/**
 * What each adapter declares it can do. The contract suites check every flag both ways:
 * a supported capability must work, an unsupported one must throw UnsupportedError.
 */

export interface ObjectStoreCapabilities {
  /** put with `ifNoneMatch: '*'` fails with AlreadyExists when the key exists. */
  createOnly: boolean;
  /** put with `ifMatch: etag` fails with PreconditionFailed when the etag is stale. */
  compareAndSwap: boolean;
  rangeGet: boolean;
  userMetadata: boolean;
  listDelimiter: boolean;
  listStartAfter: boolean;
  copy: boolean;
  copyCreateOnly: boolean;
  presignGet: boolean;
  presignPut: boolean;
  /** Large streams are uploaded in parts without buffering the whole body. */
  multipartUpload: boolean;
}

export interface QueueCapabilities {
  longPoll: boolean;
  delayedNack: boolean;
  extendVisibility: boolean;
  deadLetter: boolean;
  fifo: boolean;
  approximateDepth: boolean;
  binaryBodies: boolean;
}

export interface QueueLimits {
  /** Bytes of one message as the driver's `messageSize` counts them. */
  maxMessageBytes: number;
  /** Entries of one sendBatch and messages of one receive. */
  maxBatchEntries: number;
  /** Bytes of one send request; sendBatch splits a larger batch into several requests. */
  maxBatchBytes: number;
  maxVisibilityTimeoutSeconds: number;
  maxWaitSeconds: number;
  /** Longest `delaySeconds` of a send. */
  maxDelaySeconds: number;
}

export interface WarehouseCapabilities {
  loadParquet: boolean;
  loadCsv: boolean;
  loadNdjson: boolean;
  loadReplace: boolean;
  /** Statistics report bytes scanned / processed. */
  bytesScannedStats: boolean;
  /** Statistics report bytes billed. */
  bytesBilledStats: boolean;
  jsonType: boolean;
  decimalType: boolean;
  /** TIMESTAMP keeps microseconds. */
  microsecondTimestamps: boolean;
}

export interface SecretStoreCapabilities {
  versions: boolean;
  getVersion: boolean;
  listVersions: boolean;
  binaryValues: boolean;
  /** delete can keep the secret recoverable for a window. */
  softDelete: boolean;
}

export type CapabilityMap = Record<string, boolean>;
