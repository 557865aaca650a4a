/**
 * The self-hosted stack's real servers, for tests: MinIO (S3-compatible), nats-server with
 * JetStream (both built by scripts/ci-deps.d/selfhosted.sh at pinned versions) and Trino (from
 * Maven Central, with Java from PyPI, by scripts/ci-deps.d/trino.sh).
 */
export {
  createMinioBucket,
  MINIO_CREDENTIALS,
  MINIO_REGION,
  minioMissingReason,
  startMinio,
} from './minio.ts';
export { natsMissingReason, type RunningNats, startNats } from './nats.ts';
export {
  type RunningTrino,
  startTrino,
  TRINO_CATALOG,
  type TrinoS3Store,
  trinoMissingReason,
} from './trino.ts';
