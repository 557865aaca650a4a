import { batchesLabel, usd, usdRange, volume } from './format.ts';
import type { ProviderResult, Results } from './results.ts';
import { rankAt } from './verdict.ts';

export interface Insight {
  provider: string;
  pros: string[];
  cons: string[];
}

const label = (p: ProviderResult) => `${p.name} (${p.endpoint})`;

/**
 * Strengths and weaknesses derived only from the measurements and the capability matrix, each
 * sentence tied to a figure, so the report never claims what the run did not show.
 */
export function deriveInsights(results: Results): Insight[] {
  const insights = new Map<string, Insight>(
    results.providers.map((p) => [p.name, { provider: p.name, pros: [], cons: [] }]),
  );
  const providers = results.providers;
  if (providers.length === 0) return [];

  const largestVolume = Math.max(...results.settings.volumes);
  const ranking = rankAt(results, largestVolume);
  const at = `at ${volume(largestVolume)} events/day with ${batchesLabel(results.settings.batchRunsPerDay)}`;
  if (ranking.kind === 'winner') {
    insights
      .get(ranking.cheapest)!
      .pros.push(
        `Lowest projected cost ${at}: ${usd(ranking.cheapestUsd)}/month, ${usd(ranking.byUsd)} below ${ranking.runnerUp}.`,
      );
  } else if (ranking.kind === 'overlap') {
    for (const t of ranking.tied)
      insights
        .get(t.provider)!
        .pros.push(
          `Among the cheapest ${at}: ${usdRange(t.lowUsd, t.highUsd)}/month (ranges overlap: no clear winner).`,
        );
  }
  for (const p of providers) {
    const projection = p.projections.find((x) => x.eventsPerDay === largestVolume);
    const top = [...(projection?.lines ?? [])].sort((a, b) => b.usd - a.usd)[0];
    if (top && projection && projection.monthlyUsd > 0)
      insights
        .get(p.name)!
        .cons.push(
          `Largest cost line ${at}: ${top.service} (${top.unit}) at ${usd(top.usd)}/month, ${((top.usd / projection.monthlyUsd) * 100).toFixed(0)} % of the total.`,
        );
  }

  const withPipeline = providers.filter((p) => p.pipeline);
  // Speed is a strength only where it was measured on the service itself: emulator and embedded
  // figures say nothing about a cloud, so they rank nothing here.
  const live = withPipeline.filter((p) => p.endpoint === 'live');
  if (live.length > 1) {
    const fastest = [...live].sort((a, b) => b.pipeline!.eventsPerSecond - a.pipeline!.eventsPerSecond)[0]!;
    insights
      .get(fastest.name)!
      .pros.push(
        `Fastest end-to-end pipeline on the live clouds: ${Math.round(fastest.pipeline!.eventsPerSecond).toLocaleString('en-US')} events/s (${label(fastest)}).`,
      );
  }
  for (const p of withPipeline) {
    if (!p.pipeline!.reconciled)
      insights.get(p.name)!.cons.push('Pipeline counts did not reconcile in this run.');
  }

  for (const resource of ['objectStore', 'queue', 'warehouse', 'secretStore'] as const) {
    const candidates = providers
      .filter((p) => p.endpoint === 'live')
      .map((p) => {
        const ops = p.operations.filter((o) => o.resource === resource && o.samples > 0);
        const median = ops.length ? ops.reduce((s, o) => s + o.p50Ms, 0) / ops.length : undefined;
        return { p, median };
      })
      .filter((c) => c.median !== undefined);
    if (candidates.length > 1) {
      const best = candidates.sort((a, b) => a.median! - b.median!)[0]!;
      insights
        .get(best.p.name)!
        .pros.push(
          `Lowest mean p50 over its ${resource} operations on the live service: ${best.median!.toFixed(2)} ms.`,
        );
    }
  }

  // Capabilities one provider has and another lacks.
  const allCaps = new Map<string, Set<string>>();
  for (const p of providers) {
    for (const [iface, caps] of Object.entries(p.capabilities)) {
      for (const [cap, on] of Object.entries(caps))
        if (on)
          (
            allCaps.get(`${iface}.${cap}`) ??
            allCaps.set(`${iface}.${cap}`, new Set()).get(`${iface}.${cap}`)!
          ).add(p.name);
    }
  }
  const withCaps = providers.filter((p) => Object.keys(p.capabilities).length > 0);
  for (const p of withCaps) {
    const missing: string[] = [];
    for (const [cap, owners] of allCaps) {
      const [iface, name] = cap.split('.') as [string, string];
      if (!owners.has(p.name) && p.capabilities[iface]?.[name] === false) missing.push(cap);
    }
    if (missing.length)
      insights
        .get(p.name)!
        .cons.push(
          `Lacks (or its emulator lacks) what others support: ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''}.`,
        );
  }
  for (const p of providers) {
    if (p.errors.length) insights.get(p.name)!.cons.push(`Errors during the run: ${p.errors.join('; ')}`);
    const errorOps = p.operations.filter((o) => o.errors > 0);
    if (errorOps.length)
      insights
        .get(p.name)!
        .cons.push(`Calls failed in: ${errorOps.map((o) => `${o.operation} · ${o.workload}`).join(', ')}.`);
    if (p.endpoint === 'embedded')
      insights
        .get(p.name)!
        .pros.push('No cloud bill and no network: the baseline every cloud is compared with.');
    if (p.endpoint === 'emulator')
      insights
        .get(p.name)!
        .cons.push(
          'Measured against emulators: latency here says nothing about the cloud service; costs are computed from metered units.',
        );
  }
  return [...insights.values()];
}
