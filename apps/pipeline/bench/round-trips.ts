/**
 * The pipeline under cloud-like round trips: each cloud's emulator stack with every service behind a
 * fault proxy (@cloudmux/emulator-stacks), run end to end once with no added latency and once with a
 * fixed delay per call, and compared in events/s. These are emulator numbers: the emulators answer
 * in microseconds to milliseconds where the clouds take tens of milliseconds, which is what the added
 * latency stands for; they say nothing about a cloud's own throughput.
 *
 * The proxies add latency as they can see calls: an HTTP proxy holds each request for the whole
 * round trip (2 × the one-way delay) before forwarding it; a TCP proxy (gRPC, TDS) holds every chunk
 * for the one-way delay in each direction.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  behindFaultProxies,
  type EmulatedProvider,
  emulatorStacks,
  emulatorStackUnavailable,
} from '@cloudmux/emulator-stacks';
import { runPipeline } from '../src/run.ts';

export interface RoundTripFigures {
  provider: EmulatedProvider;
  events: number;
  oneWayLatencyMs: number;
  /** Null when the stack is not installed (the reason is in `skipped`). */
  noLatency: { seconds: number; eventsPerSecond: number; reconciled: boolean } | null;
  withLatency: { seconds: number; eventsPerSecond: number; reconciled: boolean } | null;
  /** withLatency.eventsPerSecond / noLatency.eventsPerSecond (target ≥ 0.5). */
  ratio: number | null;
  skipped?: string;
  stages?: { noLatency: Record<string, number>; withLatency: Record<string, number> };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Runs `events` flights on `provider`'s emulator stack, without and with the latency. */
export async function measureRoundTrips(
  provider: EmulatedProvider,
  events: number,
  oneWayLatencyMs: number,
): Promise<RoundTripFigures> {
  const figures: RoundTripFigures = {
    provider,
    events,
    oneWayLatencyMs,
    noLatency: null,
    withLatency: null,
    ratio: null,
  };
  const missing = emulatorStackUnavailable(provider);
  if (missing) return { ...figures, skipped: missing };
  const stack = await emulatorStacks[provider]();
  if ('skipped' in stack) return { ...figures, skipped: stack.skipped };
  const faulty = await behindFaultProxies(provider, stack.config);
  try {
    const run = async (latency: number) => {
      for (const proxy of Object.values(faulty.proxies))
        proxy.latency(proxy.mode === 'http' ? 2 * latency : latency);
      const baseDir = await mkdtemp(join(tmpdir(), `cloudmux-bench-rtt-${provider}-`));
      try {
        const summary = await runPipeline({
          context: { baseDir, overrides: faulty.config },
          events,
          // 1,000 rather than the default 10,000: 100 messages, so what is measured is how many calls
          // the pipeline keeps in flight, not how few calls ten large messages need.
          eventsPerMessage: 1_000,
          consumers: 2,
          injectInvalid: 0,
          // Pub/Sub reports no depth: a consumer ends after this quiet time once all is processed.
          visibilityTimeoutSeconds: 30,
        });
        const stages = Object.fromEntries(summary.stages.map((s) => [s.name, Number(s.seconds.toFixed(2))]));
        log(
          `${provider}, ${latency} ms each way: ${summary.totalSeconds.toFixed(1)} s, reconciled ${summary.reconciled}, ${JSON.stringify(stages)}`,
        );
        return {
          result: {
            seconds: summary.totalSeconds,
            eventsPerSecond: summary.eventsPerSecond,
            reconciled: summary.reconciled,
          },
          stages,
        };
      } finally {
        await rm(baseDir, { recursive: true, force: true });
      }
    };
    const plain = await run(0);
    const slow = await run(oneWayLatencyMs);
    figures.noLatency = plain.result;
    figures.withLatency = slow.result;
    figures.ratio = slow.result.eventsPerSecond / plain.result.eventsPerSecond;
    figures.stages = { noLatency: plain.stages, withLatency: slow.stages };
    return figures;
  } finally {
    for (const proxy of Object.values(faulty.proxies)) proxy.heal();
    await faulty.stop();
    await stack.stop();
  }
}

/** Alone: `node --conditions=@cloudmux/source bench/round-trips.ts [aws,gcp,azure] [events]`. */
if (import.meta.main) {
  const providers = (process.argv[2] ?? 'aws,gcp,azure').split(',') as EmulatedProvider[];
  const events = Number(process.argv[3] ?? 100_000);
  const figures = [];
  for (const provider of providers) figures.push(await measureRoundTrips(provider, events, 20));
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), figures }, null, 2)}\n`);
}
