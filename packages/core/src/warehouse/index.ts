export type { BoundStatement, DriverLoadOptions, TableColumn, WarehouseDriver } from './driver.ts';
export { type PortableWarehouseOptions, portableWarehouse, warehouseDriverOf } from './portable-warehouse.ts';
export { bindStatement } from './statement.ts';
export * from './types.ts';
export {
  isTypedParameter,
  type ParameterValue,
  parameterValue,
  type TypedValue,
  timestampText,
  type ValueType,
  valueOfType,
} from './values.ts';
