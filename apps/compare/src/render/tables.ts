/**
 * The report's tables as plain text cells, shared by the Markdown and HTML renderers. Every symbol
 * has a text form ("yes"/"no", "n < 100"): the report must read the same without any special font.
 */
import { bytes, count, endpointLabel, ms, usd, usdRange, volume } from '../format.ts';
import type { OperationResult, ProviderResult, Results } from '../results.ts';
import { MIN_SAMPLES_FOR_P99 } from '../stats.ts';
import { rankAt } from '../verdict.ts';

export interface Table {
  headers: string[];
  rows: string[][];
}

export const headlineVolume = (results: Results) => Math.max(...results.settings.volumes);

export function providersTable(results: Results): Table {
  return {
    headers: [
      'provider',
      'endpoint',
      'region',
      'price table region',
      'pipeline events/s',
      'reconciled',
      'process meters merged',
    ],
    rows: [
      ...results.providers.map((p) => [
        p.name,
        endpointLabel(p.endpoint, p.name),
        p.region,
        p.pricingRegion ?? 'none',
        p.pipeline ? Math.round(p.pipeline.eventsPerSecond).toLocaleString('en-US') : 'no pipeline run',
        p.pipeline ? (p.pipeline.reconciled ? 'yes' : 'NO') : 'n/a',
        p.pipeline ? String(p.pipeline.processes) : 'n/a',
      ]),
      ...results.skipped.map((s) => [s.name, `skipped: ${s.reason}`, '', '', '', '', '']),
    ],
  };
}

export function projectionsTable(results: Results): Table {
  const volumes = results.settings.volumes;
  return {
    headers: ['provider', ...volumes.map((v) => `${volume(v)} events/day`)],
    rows: results.providers.map((p) => [
      p.name,
      ...volumes.map((v) => {
        const x = p.projections.find((y) => y.eventsPerDay === v);
        if (!x) return p.costNote ? 'not priced' : 'n/a';
        return x.lowUsd === x.highUsd
          ? usd(x.monthlyUsd)
          : `${usd(x.monthlyUsd)} (${usdRange(x.lowUsd, x.highUsd)})`;
      }),
    ]),
  };
}

/** Who is cheapest at each volume of the sensitivity range, and whether the ranges allow saying so. */
export function rankingTable(results: Results): Table {
  const volumes = [
    ...new Set(results.providers.flatMap((p) => p.sensitivity.map((x) => x.eventsPerDay))),
  ].sort((a, b) => a - b);
  const range = (low: number, high: number) => `(${usdRange(low, high)})`;
  return {
    headers: ['events/day', 'lowest central estimate', 'next', 'verdict'],
    rows: volumes.flatMap((v): string[][] => {
      const r = rankAt(results, v, 'sensitivity');
      switch (r.kind) {
        case 'none':
          return [];
        case 'single':
          return [
            [
              volume(v),
              `${r.provider} ${usd(r.projection.monthlyUsd)} ${range(r.projection.lowUsd, r.projection.highUsd)}`,
              'none',
              'only one cloud priced',
            ],
          ];
        case 'winner':
          return [
            [
              volume(v),
              `${r.cheapest} ${usd(r.cheapestUsd)}`,
              `${r.runnerUp} ${usd(r.runnerUpUsd)}`,
              `${r.cheapest} cheaper by ${usd(r.byUsd)} (${r.byPercent.toFixed(0)} %); ranges apart`,
            ],
          ];
        default: {
          const [first, second] = r.tied as [(typeof r.tied)[number], (typeof r.tied)[number]];
          return [
            [
              volume(v),
              `${first.provider} ${usd(first.monthlyUsd)} ${range(first.lowUsd, first.highUsd)}`,
              `${second.provider} ${usd(second.monthlyUsd)} ${range(second.lowUsd, second.highUsd)}`,
              `no clear winner: ranges of ${r.tied.map((t) => t.provider).join(', ')} overlap`,
            ],
          ];
        }
      }
    }),
  };
}

/** "unpriced: quantity unit" per provider at the headline volume; nothing metered is silently $0. */
export function unpricedLines(results: Results): string[] {
  return results.providers.flatMap((p) =>
    p.unpriced.map((u) => `${p.name}: unpriced: ${count(u.quantity)} ${u.unit} (${u.service})`),
  );
}

export function costLinesTable(results: Results): Table {
  const v = headlineVolume(results);
  return {
    headers: [
      'provider',
      'service',
      'unit',
      'class',
      'quantity/month',
      'unit price (USD)',
      'USD/month',
      'source',
    ],
    rows: results.providers.flatMap((p) =>
      (p.projections.find((x) => x.eventsPerDay === v)?.lines ?? []).map((l) => [
        p.name,
        l.service,
        l.unit,
        l.class,
        count(l.quantity),
        l.unitPriceUsd.toExponential(3),
        usd(l.usd),
        `${l.source.class}${l.source.via ? ` via ${l.source.via}` : ''}, as of ${l.source.asOf}${l.source.sku ? `, SKU ${l.source.sku}` : ''}: ${l.source.url}`,
      ]),
    ),
  };
}

export function dataSizeTable(results: Results): Table {
  return {
    headers: [
      'provider',
      'lake',
      'warehouse table (engine)',
      'queue (bodies)',
      'per event: lake / warehouse / queue',
    ],
    rows: results.providers.map((p) => {
      const d = p.dataSize;
      if (!d) return [p.name, 'no pipeline run', '', '', ''];
      return [
        p.name,
        `${bytes(d.lakeBytes)} in ${count(d.lakeObjects)} objects`,
        d.warehouseBytes === null
          ? `not reported: ${d.warehouseBytesNote ?? 'the engine cannot say'}`
          : bytes(d.warehouseBytes),
        bytes(d.queueBytes),
        `${d.perEvent.lake.toFixed(1)} B / ${d.perEvent.warehouse === null ? 'n/a' : `${d.perEvent.warehouse.toFixed(1)} B`} / ${d.perEvent.queue.toFixed(1)} B`,
      ];
    }),
  };
}

/** Calls and billable units of the pipeline run per phase: what the projections price. */
export function pipelineUsageTable(results: Results): Table {
  return {
    headers: ['provider', 'phase', 'calls', 'calls per 1,000 events', 'billable units'],
    rows: results.providers.flatMap((p) => {
      if (!p.pipeline) return [];
      const events = Math.max(p.pipeline.events, 1);
      return (['ingest', 'speed', 'batch'] as const).map((phase) => {
        const u = p.pipeline!.phases[phase];
        const calls = Object.values(u.calls).reduce((s, n) => s + n, 0);
        const units = Object.entries(u.units).map(([k, n]) => `${k} ${count(n)}`);
        return [
          p.name,
          phase,
          count(calls),
          phase === 'batch' ? 'per batch run' : ((calls / events) * 1000).toFixed(2),
          units.length ? units.join(', ') : 'none reported',
        ];
      });
    }),
  };
}

export const p99Text = (o: OperationResult) =>
  o.p99Ms === null ? `n < ${MIN_SAMPLES_FOR_P99}` : ms(o.p99Ms);
export const p50Text = (o: OperationResult) =>
  o.p50Ci95 ? `${ms(o.p50Ms)} [${ms(o.p50Ci95.lowMs)}, ${ms(o.p50Ci95.highMs)}]` : `${ms(o.p50Ms)} (n = 1)`;

export function latencyTable(results: Results): Table {
  return {
    headers: [
      'provider',
      'endpoint',
      'resource',
      'operation',
      'workload',
      'samples (n)',
      'in flight',
      'p50 [95 % CI]',
      'p90',
      'p99',
      'max',
      'errors',
    ],
    rows: results.providers.flatMap((p) =>
      p.operations.map((o) => [
        p.name,
        p.endpoint,
        o.resource,
        o.operation,
        o.workload,
        String(o.samples),
        String(o.concurrency),
        p50Text(o),
        ms(o.p90Ms),
        p99Text(o),
        ms(o.maxMs),
        String(o.errors),
      ]),
    ),
  };
}

export function capabilityTable(results: Results): Table | undefined {
  const providers = results.providers.filter((p) => Object.keys(p.capabilities).length);
  if (!providers.length) return undefined;
  const names = new Set<string>();
  for (const p of providers)
    for (const [iface, caps] of Object.entries(p.capabilities))
      for (const cap of Object.keys(caps)) names.add(`${iface}.${cap}`);
  const value = (p: ProviderResult, name: string) => {
    const [iface, cap] = name.split('.') as [string, string];
    const v = p.capabilities[iface]?.[cap];
    return v === undefined ? 'not tested' : v ? 'yes' : 'no';
  };
  return {
    headers: ['capability', ...providers.map((p) => p.name)],
    rows: [...names].sort().map((name) => [name, ...providers.map((p) => value(p, name))]),
  };
}

export function breakEvenLines(results: Results): string[] {
  return results.breakEvens.map((b) => {
    const above = b.cheaperBelow === b.a ? b.b : b.a;
    return `${b.a} and ${b.b} cross at about ${volume(b.eventsPerDay)} events/day: ${b.cheaperBelow} is cheaper below, ${above} above`;
  });
}

export function capabilityHeading(results: Results): string {
  return results.providers.some(
    (p) => Object.keys(p.capabilities).length && p.capabilitySource === 'declared',
  )
    ? 'Capabilities (declared by the adapters; the contract suites check each flag both ways)'
    : 'Capabilities (from the contract suites)';
}
