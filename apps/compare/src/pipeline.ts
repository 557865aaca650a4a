import type { BillableUnits, CloudmuxConfigInput } from '@cloudmux/core';

export type Phase = 'ingest' | 'speed' | 'batch';

export interface PhaseUsage {
  units: BillableUnits;
  /** `${resource}.${operation}` → calls. */
  calls: Record<string, number>;
  /** `${resource}.${operation}` → messages or objects the calls handled. */
  items: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
}

/** What one end-to-end pipeline run reports (apps/pipeline `RunSummary`, the parts the comparison uses). */
export interface PipelineOutcome {
  events: number;
  seconds: number;
  reconciled: boolean;
  stages: Array<{ name: string; seconds: number }>;
  /** Merged from every process of the run: the parent and each consumer. */
  usage: { phases: Record<Phase, PhaseUsage>; processes: number };
  dataSize: {
    lakeBytes: number;
    lakeObjects: number;
    queueBytes: number;
    warehouseBytes: number | null;
    warehouseBytesNote?: string;
  };
}

/**
 * Runs the pipeline app end to end against the environment the micro-benchmarks used. The pipeline
 * opens its own resources (its consumers are separate processes), so it gets the config.
 */
export type PipelineRunner = (
  environment: { config: CloudmuxConfigInput; baseDir: string },
  events: number,
) => Promise<PipelineOutcome>;

/**
 * Events per queue message in the compared runs. The ingestor sends up to 10 messages per batch
 * request without a byte budget, and 10 × 1,000 flights (about 450 KB) exceeds the SQS limit of
 * 256 KB per request; 500 keeps a full batch near 230 KB on every provider.
 */
export const EVENTS_PER_MESSAGE = 500;

/** The real pipeline (apps/pipeline), loaded on first use. */
export async function loadPipelineRunner(): Promise<PipelineRunner> {
  const { runPipeline } = await import('@cloudmux/pipeline');
  return async (environment, events) => {
    const summary = await runPipeline({
      context: { baseDir: environment.baseDir, overrides: environment.config },
      events,
      eventsPerMessage: EVENTS_PER_MESSAGE,
      // A fixed number of malformed events per run would be priced as if it grew with volume.
      injectInvalid: 0,
    });
    return {
      events: summary.events.read,
      seconds: summary.totalSeconds,
      reconciled: summary.reconciled,
      stages: summary.stages,
      usage: summary.usage,
      dataSize: summary.dataSize,
    };
  };
}
