export * from './calculator.ts';
export * from './rules.ts';
export * from './tables.ts';
