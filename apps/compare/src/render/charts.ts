/**
 * Chart.js configurations for the report. A chart with nothing meaningful to draw is replaced by a
 * sentence saying why (`empty`), never drawn with an invented axis.
 */
import { volume } from '../format.ts';
import type { ProviderResult, Results } from '../results.ts';
import { headlineVolume } from './tables.ts';

/** How the page labels a logarithmic axis: only powers of ten get a label, so ticks never overlap. */
export type LogAxisFormat = 'ms' | 'usd' | 'events';

export interface ChartSpec {
  id: string;
  title: string;
  /** Set when there is nothing meaningful to draw: the sentence shown instead. */
  empty?: string;
  config?: {
    type: string;
    data: { labels?: string[]; datasets: Array<Record<string, unknown>> };
    options: unknown;
  };
  logAxes?: Partial<Record<'x' | 'y', LogAxisFormat>>;
  /** Dataset labels left out of the legend (band edges). */
  hiddenLegend?: string[];
}

/** Fixed colour per provider (the same in every chart). */
const PROVIDER_COLOURS: Record<string, string> = {
  local: '#6b7280',
  aws: '#d97706',
  gcp: '#2563eb',
  azure: '#0d9488',
};
const providerColour = (name: string, i: number) =>
  PROVIDER_COLOURS[name] ?? ['#9333ea', '#dc2626', '#16a34a'][i % 3]!;

/**
 * Twenty well-separated colours (Kelly's and Tableau's sets); beyond them, golden-angle hues. Each
 * service in the stacked chart gets its own.
 */
const SERVICE_COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#e6550d',
  '#31a354',
  '#843c39',
  '#7b4173',
  '#3182bd',
  '#fdae6b',
  '#a1d99b',
  '#ce6dbd',
  '#9c9ede',
];
export const serviceColour = (i: number): string =>
  SERVICE_COLOURS[i] ?? `hsl(${Math.round((i * 137.508) % 360)}, 65%, 45%)`;

const providerLabel = (p: ProviderResult) => `${p.name} (${p.endpoint})`;

function latencyCharts(results: Results): ChartSpec[] {
  const specs: ChartSpec[] = [];
  for (const resource of ['objectStore', 'queue', 'warehouse', 'secretStore'] as const) {
    const keys = [
      ...new Set(
        results.providers.flatMap((p) =>
          p.operations.filter((o) => o.resource === resource).map((o) => `${o.operation} · ${o.workload}`),
        ),
      ),
    ];
    const id = `latency-${resource}`;
    const title = `Latency p50 and p90 (ms, log scale), ${resource}; n per bar in the latency table`;
    if (!keys.length) {
      specs.push({ id, title, empty: `No ${resource} operation was measured in this run.` });
      continue;
    }
    const datasets = results.providers.flatMap((p, i) =>
      (['p50Ms', 'p90Ms'] as const).map((q, j) => {
        const colour = providerColour(p.name, i);
        return {
          label: `${providerLabel(p)} ${q.slice(0, 3)}`,
          // Lighter bars for p90 of the same provider.
          backgroundColor: j === 0 ? colour : `${colour}80`,
          borderColor: colour,
          borderWidth: 1,
          data: keys.map((k) => {
            const v = p.operations.find((o) => `${o.operation} · ${o.workload}` === k)?.[q];
            return v === undefined ? null : Math.max(v, 0.001);
          }),
        };
      }),
    );
    specs.push({
      id,
      title,
      config: {
        type: 'bar',
        data: { labels: keys, datasets },
        options: {
          responsive: true,
          animation: false,
          scales: {
            x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 30 } },
            y: { type: 'logarithmic', title: { display: true, text: 'ms (log scale)' } },
          },
        },
      },
      logAxes: { y: 'ms' },
    });
  }
  return specs;
}

function costBreakdown(results: Results): ChartSpec {
  const v = headlineVolume(results);
  const id = 'cost-breakdown';
  const title = `Projected monthly cost per service at ${volume(v)} events/day (USD, stacked)`;
  const priced = results.providers.filter(
    (p) => (p.projections.find((x) => x.eventsPerDay === v)?.monthlyUsd ?? 0) > 0,
  );
  if (!priced.length)
    return {
      id,
      title,
      empty: results.providers.some((p) => p.projections.length)
        ? `Every provider in this run costs $0 at ${volume(v)} events/day, so there is nothing to break down.`
        : 'No provider was priced in this run (no pipeline run), so there is no cost to break down.',
    };
  const linesOf = (p: ProviderResult) => p.projections.find((x) => x.eventsPerDay === v)?.lines ?? [];
  const services = [...new Set(priced.flatMap((p) => linesOf(p).map((l) => l.service)))];
  return {
    id,
    title,
    config: {
      type: 'bar',
      data: {
        labels: priced.map(providerLabel),
        datasets: services.map((service, i) => ({
          label: service,
          backgroundColor: serviceColour(i),
          data: priced.map((p) =>
            linesOf(p)
              .filter((l) => l.service === service)
              .reduce((s, l) => s + l.usd, 0),
          ),
        })),
      },
      options: {
        responsive: true,
        animation: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'USD per month' } },
        },
      },
    },
  };
}

function sensitivityChart(results: Results): ChartSpec {
  const id = 'cost-sensitivity';
  const title =
    'Monthly cost against volume (USD, log-log): line = central estimate, band = range over the uncertain parameters';
  const clouds = results.providers.filter((p) => p.sensitivity.some((x) => x.highUsd > 0));
  if (!clouds.length)
    return {
      id,
      title,
      empty: results.providers.some((p) => p.sensitivity.length)
        ? 'Every priced provider costs $0 over the whole range, so there is no curve to draw.'
        : 'No cloud was priced in this run, so there is no cost curve (the local provider has no cloud bill).',
    };
  // A log axis cannot show $0: such points are left out, not drawn at an invented value.
  const point = (x: number, y: number) => ({ x, y: y > 0 ? y : null });
  const datasets: Array<Record<string, unknown>> = [];
  const hidden: string[] = [];
  clouds.forEach((p, i) => {
    const colour = providerColour(p.name, i);
    const low = `${p.name} low`;
    hidden.push(low);
    datasets.push(
      {
        label: low,
        data: p.sensitivity.map((x) => point(x.eventsPerDay, x.lowUsd)),
        borderColor: `${colour}00`,
        pointRadius: 0,
        fill: false,
      },
      {
        label: `${p.name} range`,
        data: p.sensitivity.map((x) => point(x.eventsPerDay, x.highUsd)),
        borderColor: `${colour}00`,
        backgroundColor: `${colour}33`,
        pointRadius: 0,
        fill: '-1',
      },
      {
        label: providerLabel(p),
        data: p.sensitivity.map((x) => point(x.eventsPerDay, x.monthlyUsd)),
        borderColor: colour,
        backgroundColor: colour,
        pointRadius: 2,
        fill: false,
      },
    );
  });
  if (results.breakEvens.length) {
    const curve = (name: string) => results.providers.find((p) => p.name === name)?.sensitivity ?? [];
    datasets.push({
      type: 'scatter',
      label: 'break-even',
      backgroundColor: '#111827',
      pointStyle: 'crossRot',
      pointRadius: 7,
      borderWidth: 2,
      borderColor: '#111827',
      data: results.breakEvens.map((b) => {
        // Place the marker on curve a, interpolated on log-log axes.
        const pts = curve(b.a);
        const k = pts.findIndex((x) => x.eventsPerDay >= b.eventsPerDay);
        const [p0, p1] = [pts[Math.max(k - 1, 0)], pts[Math.max(k, 0)]];
        if (!p0 || !p1 || p0 === p1) return { x: b.eventsPerDay, y: p1?.monthlyUsd ?? null };
        const t = Math.log(b.eventsPerDay / p0.eventsPerDay) / Math.log(p1.eventsPerDay / p0.eventsPerDay);
        return { x: b.eventsPerDay, y: p0.monthlyUsd * (p1.monthlyUsd / p0.monthlyUsd) ** t };
      }),
    });
  }
  return {
    id,
    title,
    config: {
      type: 'line',
      data: { datasets },
      options: {
        responsive: true,
        animation: false,
        spanGaps: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'events per day (log scale)' } },
          y: { type: 'logarithmic', title: { display: true, text: 'USD per month (log scale)' } },
        },
      },
    },
    logAxes: { x: 'events', y: 'usd' },
    hiddenLegend: hidden,
  };
}

export function charts(results: Results): ChartSpec[] {
  return [...latencyCharts(results), costBreakdown(results), sensitivityChart(results)];
}
