import { batchesLabel, volume } from '../format.ts';
import { deriveInsights } from '../insights.ts';
import type { Results } from '../results.ts';
import { verdict } from '../verdict.ts';
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

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(t: Table, none?: string): string[] {
  if (!t.rows.length && none) return [none, ''];
  return [
    `| ${t.headers.map(cell).join(' | ')} |`,
    `|${t.headers.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
}

/** The report as Markdown, for a README or a pull request. */
export function renderMarkdown(results: Results): string {
  const s = results.settings;
  const out: string[] = ['# cloudmux comparison report', '', verdict(results).join(' '), ''];
  out.push(
    `Generated ${results.generatedAt} on ${results.machine.cpus} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB), Node ${results.machine.node}.`,
    '',
    `Settings: ${s.pipeline ? `pipeline run of ${s.events.toLocaleString('en-US')} events (priced)` : 'no pipeline run (nothing priced)'}; micro-benchmarks of ${s.iterations} iterations, object calls ${s.concurrency} in flight (latency only); projections with ${batchesLabel(s.batchRunsPerDay)}, retention ${s.retentionDays} days, free tier ${s.freeTier ? 'on' : 'off'}.`,
    '',
  );
  if (results.providers.some((p) => p.endpoint === 'emulator'))
    out.push(
      '> **Emulator figures are labelled as such.** They were measured against emulators or wire-compatible test servers on this machine and say nothing about cloud latency. Costs price the billable units the pipeline run metered, with dated list prices.',
      '',
    );
  out.push('## Providers', '', ...table(providersTable(results)));

  out.push('## Projected monthly cost (USD; range over the uncertain parameters)', '');
  out.push(...table(projectionsTable(results)));
  for (const p of results.providers) if (p.costNote) out.push(`- ${p.name}: ${p.costNote}`);
  const unpriced = unpricedLines(results);
  if (unpriced.length) {
    out.push(
      '',
      `Metered but not priced at ${volume(headlineVolume(results))} events/day (never counted as $0):`,
      '',
    );
    for (const line of unpriced) out.push(`- ${line}`);
  }
  out.push('', '### Cheapest cloud by volume (sensitivity, 1 k to 1 B events/day)', '');
  const ranking = rankingTable(results);
  if (ranking.rows.length) out.push(...table(ranking));
  else out.push('No cloud was priced, so there is no sensitivity to show.', '');
  if (results.breakEvens.length) {
    out.push('Break-even points (central estimates cross):', '');
    for (const line of breakEvenLines(results)) out.push(`- ${line}`);
    out.push('');
  }
  out.push(
    `### Cost lines at ${volume(headlineVolume(results))} events/day`,
    '',
    ...table(costLinesTable(results)),
  );
  const assumptions = results.providers.flatMap((p) => p.assumptions.map((a) => `- **${p.name}**: ${a}`));
  if (assumptions.length) out.push('### Assumptions', '', ...assumptions, '');

  out.push('## Data size after the pipeline run', '', ...table(dataSizeTable(results)));
  out.push(
    '## What the pipeline run metered (priced above)',
    '',
    ...table(pipelineUsageTable(results), 'No pipeline run.'),
  );
  out.push(
    '## Latency per operation (ms; micro-benchmarks, not priced)',
    '',
    '`get` is timed to the last byte of the body; `get (first byte)` is the time to its first byte. p99 is shown only with at least 100 samples; p50 carries a 95 % bootstrap interval.',
    '',
    ...table(latencyTable(results)),
  );
  const caps = capabilityTable(results);
  if (caps) out.push(`## ${capabilityHeading(results)}`, '', ...table(caps));
  out.push('## Strengths and weaknesses (derived from this run)', '');
  for (const i of deriveInsights(results)) {
    out.push(`### ${i.provider}`, '');
    for (const p of i.pros) out.push(`- Pro: ${p}`);
    for (const c of i.cons) out.push(`- Con: ${c}`);
    if (!i.pros.length && !i.cons.length) out.push('- (nothing distinguishing measured)');
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
