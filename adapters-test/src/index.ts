export * from './emulator-stacks.ts';
export * from './emulators/redshift-serverless-server.ts';
export * from './harness.ts';
