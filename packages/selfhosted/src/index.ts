export {
  createTrinoWarehouse,
  createTrinoWarehouseDriver,
  TrinoHttpError,
  TrinoQueryError,
  type TrinoWarehouseOptions,
} from './trino-warehouse.ts';
