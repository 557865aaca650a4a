export * from './emulator-stacks.ts';
export * from './harness.ts';
