export { openPipeline, type PipelineContextOptions, repoRoot } from './context.ts';
export { type ProgressUpdate, type RunOptions, type RunSummary, runPipeline } from './run.ts';
