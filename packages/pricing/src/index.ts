export * from './machine-hours.ts';
export * from './model/index.ts';
export * from './rules.ts';
export * from './sensitivity.ts';
export * from './tables.ts';
export type * from './types.ts';
