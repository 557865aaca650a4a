export * from './insights.ts';
export * from './render/html.ts';
export * from './render/markdown.ts';
export * from './report.ts';
export * from './results.ts';
export * from './run.ts';
