/**
 * The self-hosted stack's real servers, for tests: MinIO (S3-compatible) and nats-server with
 * JetStream, both built by scripts/ci-deps.d/selfhosted.sh at pinned versions.
 */
export {
  createMinioBucket,
  MINIO_CREDENTIALS,
  MINIO_REGION,
  minioMissingReason,
  startMinio,
} from './minio.ts';
export { natsMissingReason, type RunningNats, startNats } from './nats.ts';
