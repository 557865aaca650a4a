import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchesLabel, volume } from '../format.ts';
import { deriveInsights } from '../insights.ts';
import type { Results } from '../results.ts';
import { verdict } from '../verdict.ts';
import { type ChartSpec, charts } from './charts.ts';
import {
  breakEvenLines,
  capabilityHeading,
  capabilityTable,
  costLinesTable,
  dataSizeTable,
  headlineVolume,
  latencyTable,
  pipelineUsageTable,
  projectionsTable,
  providersTable,
  rankingTable,
  type Table,
  unpricedLines,
} from './tables.ts';

const esc = (s: unknown) =>
  String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

function table(t: Table, id?: string, none?: string): string {
  if (!t.rows.length && none) return `<p>${esc(none)}</p>`;
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Chart.js's UMD bundle, inlined so the report opens offline from disk. */
function chartJsSource(): string {
  const entry = fileURLToPath(import.meta.resolve('chart.js'));
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

function figure(spec: ChartSpec): string {
  const body = spec.empty
    ? `<p class="no-chart" data-no-chart="${spec.id}">${esc(spec.empty)}</p>`
    : `<div class="chart"><canvas id="${spec.id}" data-chart></canvas></div>`;
  return `<figure><figcaption>${esc(spec.title)}</figcaption>${body}</figure>`;
}

/** The page's script: log axes label powers of ten only (ticks never overlap), band edges stay out of the legend. */
const PAGE_SCRIPT = `
const fmt = {
  ms: (v) => v >= 1 ? String(v) : String(Number(v.toPrecision(1))),
  usd: (v) => v >= 1e6 ? '$' + v / 1e6 + 'M' : v >= 1e3 ? '$' + v / 1e3 + 'k' : '$' + Number(v.toPrecision(1)),
  events: (v) => v >= 1e9 ? v / 1e9 + ' B' : v >= 1e6 ? v / 1e6 + ' M' : v >= 1e3 ? v / 1e3 + ' k' : String(v),
};
const powerOfTen = (v) => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
for (const spec of specs) {
  const scales = spec.config.options.scales;
  for (const [axis, kind] of Object.entries(spec.logAxes ?? {})) {
    scales[axis].ticks = Object.assign(scales[axis].ticks ?? {}, {
      autoSkip: true,
      maxRotation: 0,
      callback: (v) => (powerOfTen(Number(v)) ? fmt[kind](Number(v)) : null),
    });
  }
  // A fixed-height box sized before drawing: the first paint already has its final layout.
  spec.config.options.maintainAspectRatio = false;
  if (spec.hiddenLegend) {
    const hidden = new Set(spec.hiddenLegend);
    spec.config.options.plugins = { legend: { labels: { filter: (item) => !hidden.has(item.text) } } };
  }
  new Chart(document.getElementById(spec.id), spec.config);
}
document.body.dataset.chartsRendered = String(specs.length);
`;

/** A self-contained report page: data, Chart.js and styles inline; opens offline from disk. */
export function renderHtml(results: Results): string {
  const specs = charts(results);
  const byId = (prefix: string) =>
    specs
      .filter((s) => s.id.startsWith(prefix))
      .map(figure)
      .join('');
  const s = results.settings;
  const headline = volume(headlineVolume(results));
  const caps = capabilityTable(results);
  const unpriced = unpricedLines(results);
  const ranking = rankingTable(results);
  const assumptions = results.providers.flatMap((p) =>
    p.assumptions.map((a) => `<li><strong>${esc(p.name)}</strong>: ${esc(a)}</li>`),
  );
  const costNotes = results.providers
    .filter((p) => p.costNote)
    .map((p) => `<li>${esc(p.name)}: ${esc(p.costNote)}</li>`);
  const body = `
<header>
  <h1>cloudmux comparison report</h1>
  <p id="verdict" class="verdict">${verdict(results).map(esc).join(' ')}</p>
  <p>Generated ${esc(results.generatedAt)} on ${esc(results.machine.cpus)} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB), Node ${esc(results.machine.node)}.
  ${s.pipeline ? `Pipeline run of ${s.events.toLocaleString('en-US')} events (priced)` : 'No pipeline run (nothing priced)'} · micro-benchmarks of ${s.iterations} iterations, object calls ${s.concurrency} in flight (latency only) · projections with ${esc(batchesLabel(s.batchRunsPerDay))}, retention ${s.retentionDays} days, free tier ${s.freeTier ? 'on' : 'off'}.</p>
  ${results.providers.some((p) => p.endpoint === 'emulator') ? '<p class="warning" id="emulator-warning"><strong>Emulator figures are labelled as such.</strong> Latencies marked "emulator" were measured against emulators or wire-compatible test servers on this machine and say nothing about cloud latency. Costs price the billable units the pipeline run metered, with dated list prices.</p>' : ''}
</header>
<section><h2>Providers</h2>${table(providersTable(results))}</section>
<section><h2>Cost</h2>
<h3>Projected monthly cost (USD; central estimate, range over the uncertain parameters)</h3>${table(projectionsTable(results), 'projections')}
${costNotes.length ? `<ul>${costNotes.join('')}</ul>` : ''}
${unpriced.length ? `<p>Metered but not priced at ${esc(headline)} events/day (never counted as $0):</p><ul id="unpriced">${unpriced.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
${byId('cost-')}
<h3>Cheapest cloud by volume</h3>${ranking.rows.length ? table(ranking, 'ranking') : '<p>No cloud was priced, so there is no ranking by volume.</p>'}
${
  results.breakEvens.length
    ? `<p>Break-even points (central estimates cross):</p><ul id="break-evens">${breakEvenLines(results)
        .map((l) => `<li>${esc(l)}</li>`)
        .join('')}</ul>`
    : ''
}
<h3>Cost lines at ${esc(headline)} events/day</h3>${table(costLinesTable(results), undefined, 'No priced cost line at this volume.')}
${assumptions.length ? `<h3>Assumptions</h3><ul id="assumptions">${assumptions.join('')}</ul>` : ''}</section>
<section><h2>Data size after the pipeline run</h2>${table(dataSizeTable(results), 'data-size')}</section>
<section><h2>What the pipeline run metered (priced above)</h2>${table(pipelineUsageTable(results), undefined, 'No pipeline run.')}</section>
<section><h2>Latency (micro-benchmarks, not priced)</h2>
<p><code>get</code> is timed to the last byte of the body; <code>get (first byte)</code> is the time to its first byte. p99 is shown only with at least 100 samples ("n &lt; 100" otherwise); p50 carries a 95 % bootstrap interval; "in flight" is the concurrency the figure was measured at.</p>
${byId('latency-')}
${table(latencyTable(results), 'latency')}</section>
<section><h2>${capabilityHeading(results)}</h2>${caps ? table(caps, 'capabilities') : '<p>No contract results found (run <code>pnpm contract</code> first).</p>'}</section>
<section><h2>Strengths and weaknesses (derived from this run)</h2>${deriveInsights(results)
    .map(
      (i) =>
        `<h3>${esc(i.provider)}</h3><ul>${i.pros.map((p) => `<li class="pro">Pro: ${esc(p)}</li>`).join('')}${i.cons.map((c) => `<li class="con">Con: ${esc(c)}</li>`).join('')}</ul>`,
    )
    .join('')}</section>`;
  const drawn = specs.filter((spec) => !spec.empty);
  const chartData = JSON.stringify(
    drawn.map((spec) => ({
      id: spec.id,
      config: spec.config,
      logAxes: spec.logAxes,
      hiddenLegend: spec.hiddenLegend,
    })),
  ).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cloudmux comparison report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:24px;color:#111}
h1{margin-top:0}table{border-collapse:collapse;width:100%;margin:8px 0 24px;font-size:12px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f5f5f5}
figure{margin:16px 0 32px}figcaption{font-weight:600;margin-bottom:8px}
.chart{position:relative;height:400px}
.verdict{font-size:16px;background:#eff6ff;border:1px solid #93c5fd;padding:10px 14px;border-radius:6px}
.warning{background:#fff7ed;border:1px solid #fdba74;padding:8px 12px;border-radius:6px}
.no-chart{color:#374151;font-style:italic}
li.pro{color:#166534}li.con{color:#991b1b}
</style></head><body>${body}
<script>${chartJsSource()}</script>
<script>
const specs = ${chartData};
${PAGE_SCRIPT}
</script></body></html>
`;
}
