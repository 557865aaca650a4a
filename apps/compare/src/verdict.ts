import { rangesOverlap } from '@cloudmux/pricing';
import { batchesLabel, usd, usdRange, volume } from './format.ts';
import type { ProjectionResult, ProviderResult, Results } from './results.ts';

export type Ranking =
  | { kind: 'none'; reason: string }
  | { kind: 'single'; provider: string; projection: ProjectionResult }
  | {
      kind: 'winner';
      cheapest: string;
      runnerUp: string;
      cheapestUsd: number;
      runnerUpUsd: number;
      byUsd: number;
      byPercent: number;
      /** The dearer clouds after the runner-up, cheapest first. */
      rest: Array<{ provider: string; monthlyUsd: number }>;
    }
  | {
      kind: 'overlap';
      /** Providers whose low-to-high ranges overlap the cheapest one's, cheapest first. */
      tied: Array<{ provider: string; monthlyUsd: number; lowUsd: number; highUsd: number }>;
    };

/** Clouds priced at `eventsPerDay` (the local provider has no bill, so it never ranks). */
function priced(results: Results, eventsPerDay: number, series: 'projections' | 'sensitivity') {
  return results.providers
    .filter((p) => p.endpoint !== 'embedded')
    .map((p) => ({ p, x: p[series].find((x) => x.eventsPerDay === eventsPerDay) }))
    .filter((c): c is { p: ProviderResult; x: ProjectionResult } => c.x !== undefined);
}

/**
 * Which cloud is cheapest at a volume — only when it is clear: the cheapest one's high end must lie
 * below every other's low end; otherwise the providers whose ranges overlap it are a tie.
 */
export function rankAt(
  results: Results,
  eventsPerDay: number,
  series: 'projections' | 'sensitivity' = 'projections',
): Ranking {
  const candidates = priced(results, eventsPerDay, series).sort((a, b) => a.x.monthlyUsd - b.x.monthlyUsd);
  if (candidates.length === 0) {
    const notes = results.providers
      .filter((p) => p.endpoint !== 'embedded' && p.costNote)
      .map((p) => `${p.name}: ${p.costNote}`);
    return {
      kind: 'none',
      reason: notes.length
        ? `no cloud was priced (${notes.join('; ')})`
        : 'no cloud was part of this run, so there is no cost ranking',
    };
  }
  const [first, ...rest] = candidates as [(typeof candidates)[number], ...typeof candidates];
  if (rest.length === 0) return { kind: 'single', provider: first.p.name, projection: first.x };
  const overlapping = rest.filter((c) => rangesOverlap(first.x, c.x));
  if (overlapping.length)
    return {
      kind: 'overlap',
      tied: [first, ...overlapping].map((c) => ({
        provider: c.p.name,
        monthlyUsd: c.x.monthlyUsd,
        lowUsd: c.x.lowUsd,
        highUsd: c.x.highUsd,
      })),
    };
  const second = rest[0]!;
  return {
    kind: 'winner',
    cheapest: first.p.name,
    runnerUp: second.p.name,
    cheapestUsd: first.x.monthlyUsd,
    runnerUpUsd: second.x.monthlyUsd,
    byUsd: second.x.monthlyUsd - first.x.monthlyUsd,
    byPercent: ((second.x.monthlyUsd - first.x.monthlyUsd) / second.x.monthlyUsd) * 100,
    rest: rest.slice(1).map((c) => ({ provider: c.p.name, monthlyUsd: c.x.monthlyUsd })),
  };
}

export function rankingText(ranking: Ranking): string {
  switch (ranking.kind) {
    case 'none':
      return ranking.reason;
    case 'single':
      return `only ${ranking.provider} was priced: ${usd(ranking.projection.monthlyUsd)} per month (range ${usdRange(ranking.projection.lowUsd, ranking.projection.highUsd)}), nothing to rank it against`;
    case 'winner':
      return `${ranking.cheapest} is cheapest by ${usd(ranking.byUsd)} per month (${ranking.byPercent.toFixed(0)} %): ${usd(ranking.cheapestUsd)} against ${ranking.runnerUp} at ${usd(ranking.runnerUpUsd)}${ranking.rest.length ? ` (then ${ranking.rest.map((r) => `${r.provider} ${usd(r.monthlyUsd)}`).join(', ')})` : ''}, and its range lies below every other`;
    case 'overlap':
      return `no clear winner: the ranges of ${ranking.tied.map((t) => `${t.provider} (${usdRange(t.lowUsd, t.highUsd)})`).join(' and ')} overlap`;
  }
}

/** The volumes the verdict speaks about: 10 M and 100 k events/day when projected, else the largest and smallest. */
function verdictVolumes(results: Results): number[] {
  const volumes = results.settings.volumes;
  const wanted = [10_000_000, 100_000].filter((v) => volumes.includes(v));
  if (wanted.length) return wanted;
  return [...new Set([Math.max(...volumes), Math.min(...volumes)])];
}

/** The report's first paragraph, computed from the data: cost at the headline volumes, then what the latency figures may claim. */
export function verdict(results: Results): string[] {
  const sentences: string[] = [];
  const batches = batchesLabel(results.settings.batchRunsPerDay);
  for (const [i, v] of verdictVolumes(results).entries()) {
    const text = rankingText(rankAt(results, v));
    sentences.push(
      i === 0
        ? `At ${volume(v)} events/day with ${batches}: ${text}.`
        : `At ${volume(v)} events/day: ${text}.`,
    );
  }
  const headline = Math.max(...results.settings.volumes);
  for (const p of results.providers) {
    const unpriced = p.projections.find((x) => x.eventsPerDay === headline)?.unpriced ?? [];
    if (unpriced.length)
      sentences.push(
        `${p.name} leaves ${unpriced.length} metered unit${unpriced.length > 1 ? 's' : ''} unpriced (${unpriced.map((u) => u.unit).join(', ')}), so its figure is a lower bound.`,
      );
  }
  const endpoints = new Set(results.providers.map((p) => p.endpoint));
  if (endpoints.has('live')) {
    const live = results.providers.filter((p) => p.endpoint === 'live');
    sentences.push(
      `Latency: measured from this machine to ${live.map((p) => `${p.name} (${p.region})`).join(', ')}${endpoints.size > 1 ? '; the other figures are emulator or embedded figures and make no claim about clouds' : ''}.`,
    );
  } else if (endpoints.has('emulator')) {
    sentences.push('Latency: emulator figures only, measured on this machine; no claim about clouds.');
  } else if (results.providers.length) {
    sentences.push('Latency: the embedded provider on this machine only; no claim about clouds.');
  }
  if (results.skipped.length)
    sentences.push(`Not compared: ${results.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}.`);
  return sentences;
}
