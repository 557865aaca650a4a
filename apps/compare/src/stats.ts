/** Below this many samples p99 is the maximum under another name, so it is not reported. */
export const MIN_SAMPLES_FOR_P99 = 100;

const BOOTSTRAP_RESAMPLES = 2000;

/** Linear interpolation between closest ranks (R type 7) over ascending samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no samples');
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** Deterministic generator (mulberry32), so a re-run over the same samples gives the same interval. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** 95 % percentile-bootstrap interval of the median; null with fewer than 2 samples. */
export function medianInterval(samples: readonly number[]): { lowMs: number; highMs: number } | null {
  if (samples.length < 2) return null;
  const next = random(samples.length * 2654435761);
  const medians = new Float64Array(BOOTSTRAP_RESAMPLES);
  const resample = new Float64Array(samples.length);
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    for (let i = 0; i < samples.length; i++) resample[i] = samples[Math.floor(next() * samples.length)]!;
    resample.sort();
    medians[b] = quantile(resample as unknown as number[], 0.5);
  }
  medians.sort();
  const sorted = medians as unknown as number[];
  return { lowMs: quantile(sorted, 0.025), highMs: quantile(sorted, 0.975) };
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p50Ci95: { lowMs: number; highMs: number } | null;
  p90Ms: number;
  p99Ms: number | null;
  maxMs: number;
  meanMs: number;
}

/** Percentiles over raw samples (ms), each qualified by how many samples it rests on. */
export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p50Ci95: medianInterval(sorted),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: sorted.length >= MIN_SAMPLES_FOR_P99 ? quantile(sorted, 0.99) : null,
    maxMs: sorted[sorted.length - 1]!,
    meanMs: sorted.reduce((s, x) => s + x, 0) / sorted.length,
  };
}
