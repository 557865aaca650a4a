export { bufferedBody, readableBody } from './bodies.ts';
export type {
  DriverBody,
  DriverBodySource,
  DriverCopyOptions,
  DriverListOptions,
  DriverObject,
  DriverPresignOptions,
  DriverPutOptions,
  DriverRange,
  ObjectStoreDriver,
} from './driver.ts';
export {
  objectStoreDriverOf,
  type PortableObjectStoreOptions,
  portableObjectStore,
} from './portable-object-store.ts';
export type * from './types.ts';
export { portableKeyProblem } from './validate.ts';
