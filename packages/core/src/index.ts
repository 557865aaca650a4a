// First: on an unsupported Node, importing the package fails here with the versions, before anything else runs.
import './node-version.ts';

// Named exports only: what is listed here is the public API of @cloudmux/core, for apps (the portable
// types, config, openers, the meter) and for driver authors (driver interfaces, DriverError, the
// dialects). Helpers the portable layer uses internally stay unexported.

export type {
  CapabilityMap,
  ObjectStoreCapabilities,
  QueueCapabilities,
  QueueLimits,
  SecretStoreCapabilities,
  WarehouseCapabilities,
} from './capabilities.ts';
export { chunkBySize } from './chunk.ts';
export { mapConcurrent } from './concurrency.ts';
export {
  type CloudmuxConfig,
  type CloudmuxConfigInput,
  configSchema,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  parseConfig,
  parseProviderOptions,
  requireProviderSection,
} from './config.ts';
export {
  bigqueryDialect,
  type DialectName,
  dialects,
  duckdbDialect,
  type NamedParameterRef,
  type ParameterSyntax,
  redshiftDialect,
  rewriteNamedParameters,
  type SqlDialect,
  type SqlFunctions,
  trinoDialect,
  tsqlDialect,
} from './dialect.ts';
export {
  CloudmuxError,
  type CloudmuxErrorOptions,
  ConfigError,
  type ConfigIssue,
  ERROR_CODES,
  type ErrorCode,
  UnsupportedError,
} from './errors.ts';
export {
  Meter,
  type MeterOptions,
  type MeterRecord,
  type MeterSnapshot,
  type OperationSnapshot,
  type OperationSummary,
  type Outcome,
} from './meter.ts';
export { assertSupportedNode, MINIMUM_NODE_VERSION, UnsupportedNodeError } from './node-version.ts';
export {
  bufferedBody,
  type DriverBody,
  type DriverBodySource,
  type DriverCopyOptions,
  type DriverListOptions,
  type DriverObject,
  type DriverPresignOptions,
  type DriverPutOptions,
  type DriverRange,
  type ObjectStoreDriver,
  type PortableObjectStoreOptions,
  portableObjectStore,
  readableBody,
} from './object-store/index.ts';
export type * from './object-store/types.ts';
export {
  type OpenUrlOptions,
  openObjectStore,
  openQueue,
  openResourceUrl,
  openSecretStore,
  openWarehouse,
  resourceUrlConfig,
} from './open-url.ts';
export {
  type CallOptions,
  type DriverCall,
  DriverError,
  type OperationRunner,
  type OperationSource,
  type OperationSpec,
  type PortableOptions,
  type ReportingCall,
  type RunOptions,
} from './portable/index.ts';
export {
  BUILTIN_PROVIDERS,
  CLOUD_PROVIDERS,
  type CloudProviderName,
  isProviderName,
  type ParsedResourceUrl,
  PROVIDERS,
  type ProviderEntry,
  type ProviderKind,
  type ProviderName,
  providerEntry,
  RESOURCE_NAMES,
  type ResourceName,
  type UrlScheme,
  urlSchemes,
} from './providers/index.ts';
export {
  bodyBytes,
  type DriverReceiveOptions,
  type DriverSendOutcome,
  messageJson,
  messageText,
  type OutgoingMessage,
  type PortableQueueOptions,
  portableQueue,
  type QueueDriver,
  type QueueSettings,
} from './queue/index.ts';
export type * from './queue/types.ts';
export {
  type Importer,
  loadProvider,
  type OpenResourcesOptions,
  openResources,
  type ProviderContext,
  type ProviderModule,
  type Resources,
} from './registry.ts';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy, sleep } from './retry.ts';
export {
  type DriverPage,
  type DriverSecret,
  type DriverSecretVersion,
  openSecretVersion,
  type PortableSecretStoreOptions,
  parseSealedSecretVersion,
  parseSecretKey,
  portableSecretStore,
  SEALED_SECRET_FORMAT,
  type SealedSecretVersion,
  type SecretCacheOptions,
  type SecretKey,
  type SecretNameAlphabet,
  type SecretNameCodec,
  type SecretStoreDriver,
  SecretValue,
  scrubSecrets,
  sealSecretVersion,
  secretNameCodec,
  secretStoreOperation,
  withSecretCache,
} from './secret-store/index.ts';
export type * from './secret-store/types.ts';
export { type CivilDate, epochDaysOfCivil, parseIsoDate, parseIsoTimestamp } from './temporal.ts';
export { type BillableUnits, type CallUsage, reportUsage, runWithUsage, type UsageReport } from './usage.ts';
export {
  type BoundStatement,
  type DriverLoadOptions,
  type ParameterValue,
  type PortableWarehouseOptions,
  portableWarehouse,
  type TableColumn,
  type TypedValue,
  timestampText,
  type ValueType,
  valueOfType,
  type WarehouseDriver,
} from './warehouse/index.ts';
export {
  type Column,
  type ColumnType,
  type LoadOptions,
  type LoadResult,
  param,
  type QueryOptions,
  type QueryParameters,
  type QueryResult,
  type ResultColumn,
  type Row,
  type StatementStats,
  type TableSchema,
  Timestamp,
  type TypedParameter,
  type Warehouse,
  type WarehouseValue,
} from './warehouse/types.ts';
