import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveInsights } from '../insights.ts';
import type { ProviderResult, Results } from '../results.ts';
import { capabilityRows, endpointLabel } from './markdown.ts';

const esc = (s: unknown) =>
  String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

function table(headers: string[], rows: unknown[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Chart.js's UMD bundle, inlined so the report opens offline from disk. */
function chartJsSource(): string {
  const entry = fileURLToPath(import.meta.resolve('chart.js'));
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

const providerLabel = (p: ProviderResult) =>
  `${p.name} (${p.endpoint === 'emulator' ? 'emulator' : p.endpoint})`;
const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toExponential(2)}` : `$${n.toFixed(2)}`);

interface ChartSpec {
  id: string;
  title: string;
  config: unknown;
}

function charts(results: Results): ChartSpec[] {
  const specs: ChartSpec[] = [];
  const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
  for (const resource of ['objectStore', 'queue', 'warehouse', 'secretStore'] as const) {
    const keys = [
      ...new Set(
        results.providers.flatMap((p) =>
          p.operations.filter((o) => o.resource === resource).map((o) => `${o.operation} · ${o.workload}`),
        ),
      ),
    ];
    if (!keys.length) continue;
    const datasets = results.providers.flatMap((p, i) =>
      (['p50Ms', 'p90Ms', 'p99Ms'] as const).map((q, j) => ({
        label: `${providerLabel(p)} ${q.slice(0, 3)}`,
        backgroundColor: palette[i % palette.length],
        borderColor: palette[i % palette.length],
        borderWidth: 1,
        // Lighter bars for the higher percentiles of the same provider.
        backgroundColorAlpha: 1 - j * 0.3,
        data: keys.map((k) => p.operations.find((o) => `${o.operation} · ${o.workload}` === k)?.[q] ?? null),
      })),
    );
    specs.push({
      id: `latency-${resource}`,
      title: `Latency percentiles (ms, log scale) — ${resource}`,
      config: {
        type: 'bar',
        data: { labels: keys, datasets },
        options: {
          responsive: true,
          animation: false,
          scales: { y: { type: 'logarithmic', title: { display: true, text: 'ms' } } },
        },
      },
    });
  }
  const largest = Math.max(...results.settings.volumes);
  const services = [
    ...new Set(
      results.providers.flatMap(
        (p) => p.cost.projections.find((x) => x.eventsPerDay === largest)?.lines.map((l) => l.service) ?? [],
      ),
    ),
  ];
  specs.push({
    id: 'cost-breakdown',
    title: `Projected monthly cost per service at ${largest.toLocaleString('en-US')} events/day (USD, stacked)`,
    config: {
      type: 'bar',
      data: {
        labels: results.providers.map(providerLabel),
        datasets: services.map((service, i) => ({
          label: service,
          backgroundColor: palette[i % palette.length],
          data: results.providers.map((p) =>
            (p.cost.projections.find((x) => x.eventsPerDay === largest)?.lines ?? [])
              .filter((l) => l.service === service)
              .reduce((s, l) => s + l.usd, 0),
          ),
        })),
      },
      options: {
        responsive: true,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'USD / month' } } },
      },
    },
  });
  specs.push({
    id: 'cost-projection',
    title: 'Projected monthly cost against volume (USD)',
    config: {
      type: 'line',
      data: {
        labels: results.settings.volumes.map((v) => v.toLocaleString('en-US')),
        datasets: results.providers.map((p, i) => ({
          label: providerLabel(p),
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          data: results.settings.volumes.map(
            (v) => p.cost.projections.find((x) => x.eventsPerDay === v)?.totalUsd ?? 0,
          ),
        })),
      },
      options: {
        responsive: true,
        animation: false,
        scales: {
          x: { title: { display: true, text: 'events per day' } },
          y: { title: { display: true, text: 'USD / month' } },
        },
      },
    },
  });
  return specs;
}

/** A self-contained report page: data, Chart.js and styles inline; opens offline from disk. */
export function renderHtml(results: Results): string {
  const specs = charts(results);
  const anyEmulator = results.providers.some((p) => p.endpoint === 'emulator');
  const caps = capabilityRows(results);
  const insights = deriveInsights(results);
  const volumes = results.settings.volumes;
  const body = `
<header>
  <h1>cloudmux comparison report</h1>
  <p>Generated ${esc(results.generatedAt)} on ${esc(results.machine.cpus)} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB), Node ${esc(results.machine.node)}.
  ${results.settings.events.toLocaleString('en-US')} pipeline events · ${results.settings.iterations} iterations · concurrency ${results.settings.concurrency}.</p>
  ${anyEmulator ? '<p class="warning" id="emulator-warning"><strong>Emulator figures are labelled as such.</strong> Latencies marked “emulator” were measured against emulators or wire-compatible test servers on this machine and say nothing about cloud latency. Costs are computed from the billable units the adapters metered, priced from dated list prices.</p>' : ''}
</header>
<section><h2>Providers</h2>${table(
    ['provider', 'endpoint', 'region', 'pipeline events/s', 'reconciled', 'cost of this run'],
    [
      ...results.providers.map((p) => [
        p.name,
        endpointLabel(p.endpoint),
        p.region,
        p.pipeline ? Math.round(p.pipeline.eventsPerSecond).toLocaleString('en-US') : '—',
        p.pipeline ? (p.pipeline.reconciled ? 'yes' : 'NO') : '—',
        usd(p.cost.totalUsd),
      ]),
      ...results.skipped.map((s) => [s.name, 'skipped', '—', '—', '—', s.reason]),
    ],
  )}</section>
<section><h2>Latency</h2>${specs
    .filter((s) => s.id.startsWith('latency-'))
    .map(
      (s) =>
        `<figure><figcaption>${esc(s.title)}</figcaption><canvas id="${s.id}" data-chart></canvas></figure>`,
    )
    .join('')}</section>
<section><h2>Cost</h2>${specs
    .filter((s) => s.id.startsWith('cost-'))
    .map(
      (s) =>
        `<figure><figcaption>${esc(s.title)}</figcaption><canvas id="${s.id}" data-chart></canvas></figure>`,
    )
    .join('')}
<h3>Projected monthly cost (USD)</h3>${table(
    ['provider', ...volumes.map((v) => `${v.toLocaleString('en-US')} events/day`)],
    results.providers.map((p) => [
      p.name,
      ...volumes.map((v) => usd(p.cost.projections.find((x) => x.eventsPerDay === v)?.totalUsd ?? 0)),
    ]),
  )}
<h3>Cost of this run, line by line</h3>${table(
    ['provider', 'service', 'unit', 'quantity', 'unit price (USD)', 'USD', 'source'],
    results.providers.flatMap((p) =>
      p.cost.lines.map((l) => [
        p.name,
        l.service,
        l.unit,
        l.quantity.toLocaleString('en-US', { maximumFractionDigits: 3 }),
        l.unitPriceUsd.toExponential(3),
        usd(l.usd),
        l.source,
      ]),
    ),
  )}
<h3>Assumptions</h3><ul>${results.providers.flatMap((p) => p.cost.assumptions.map((a) => `<li><strong>${esc(p.name)}</strong>: ${esc(a)}</li>`)).join('')}</ul></section>
<section><h2>Capabilities (from the contract suites)</h2>${
    caps.rows.length
      ? table(
          ['capability', ...caps.providers],
          caps.rows.map((r) => [r.name, ...r.values.map((v) => (v === undefined ? '—' : v ? '✅' : '❌'))]),
        )
      : '<p>No contract results found (run <code>pnpm contract</code> first).</p>'
  }</section>
<section><h2>Strengths and weaknesses (derived from this run)</h2>${insights
    .map(
      (i) =>
        `<h3>${esc(i.provider)}</h3><ul>${i.pros.map((p) => `<li class="pro">➕ ${esc(p)}</li>`).join('')}${i.cons.map((c) => `<li class="con">➖ ${esc(c)}</li>`).join('')}</ul>`,
    )
    .join('')}</section>
<section><h2>Latency table (ms)</h2>${table(
    [
      'provider',
      'endpoint',
      'resource',
      'operation',
      'workload',
      'count',
      'p50',
      'p90',
      'p99',
      'max',
      'errors',
    ],
    results.providers.flatMap((p) =>
      p.operations.map((o) => [
        p.name,
        p.endpoint,
        o.resource,
        o.operation,
        o.workload,
        o.count,
        o.p50Ms.toFixed(3),
        o.p90Ms.toFixed(3),
        o.p99Ms.toFixed(3),
        o.maxMs.toFixed(3),
        o.errors,
      ]),
    ),
  )}</section>`;
  const chartData = JSON.stringify(specs.map((s) => ({ id: s.id, config: s.config }))).replaceAll(
    '<',
    '\\u003c',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cloudmux comparison report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:24px;color:#111}
h1{margin-top:0}table{border-collapse:collapse;width:100%;margin:8px 0 24px;font-size:12px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f5f5f5}
figure{margin:16px 0 32px}figcaption{font-weight:600;margin-bottom:8px}canvas{max-height:420px}
.warning{background:#fff7ed;border:1px solid #fdba74;padding:8px 12px;border-radius:6px}
li.pro{color:#166534}li.con{color:#991b1b}
</style></head><body>${body}
<script>${chartJsSource()}</script>
<script>
const specs = ${chartData};
for (const spec of specs) {
  for (const ds of spec.config.data.datasets) {
    if (ds.backgroundColorAlpha !== undefined) {
      const hex = ds.backgroundColor; const a = Math.round(ds.backgroundColorAlpha * 255).toString(16).padStart(2, '0');
      ds.backgroundColor = hex + a; delete ds.backgroundColorAlpha;
    }
  }
  new Chart(document.getElementById(spec.id), spec.config);
}
document.body.dataset.chartsRendered = String(specs.length);
</script></body></html>
`;
}
