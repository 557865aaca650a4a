export { cancelledError, DriverError, type FailureContext, portableError } from './errors.ts';
export {
  type DriverCall,
  type OperationRunner,
  type OperationSource,
  type OperationSpec,
  PLAIN_OPERATIONS,
  plainOperation,
  type ReportingCall,
  type RunOptions,
} from './operation.ts';
export {
  type CallOptions,
  callOf,
  driverUnder,
  nativeAs,
  type PortableDriver,
  type PortableOptions,
  runnersFor,
  unwrapDriver,
} from './resource.ts';
