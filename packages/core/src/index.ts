// First: on an unsupported Node, importing the package fails here with the versions, before anything else runs.
import './node-version.ts';

export * from './capabilities.ts';
export * from './config.ts';
export * from './dialect.ts';
export * from './errors.ts';
export * from './meter.ts';
export * from './node-version.ts';
export * from './object-store/index.ts';
export * from './portable/index.ts';
export * from './queue/index.ts';
export * from './registry.ts';
export * from './retry.ts';
export * from './secret-store/index.ts';
export * from './temporal.ts';
export * from './usage.ts';
export * from './warehouse/index.ts';
