export { type SecretCacheOptions, withSecretCache } from './cache.ts';
export type { DriverPage, DriverSecret, DriverSecretVersion, SecretStoreDriver } from './driver.ts';
export { type SecretNameAlphabet, type SecretNameCodec, secretNameCodec } from './name-codec.ts';
export {
  type PortableSecretStoreOptions,
  portableSecretStore,
  secretStoreDriverOf,
  secretStoreOperation,
} from './portable-secret-store.ts';
export {
  openSecretVersion,
  parseSealedSecretVersion,
  parseSecretKey,
  SEALED_SECRET_FORMAT,
  type SealedSecretVersion,
  type SecretKey,
  sealSecretVersion,
} from './sealed-version.ts';
export type * from './types.ts';
export { SecretValue, scrubSecrets } from './value.ts';
