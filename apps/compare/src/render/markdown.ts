import { deriveInsights } from '../insights.ts';
import type { Results } from '../results.ts';

const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toExponential(2)}` : `$${n.toFixed(2)}`);
const ms = (n: number) => (n < 1 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(0));
const cell = (s: string) => s.replaceAll('|', '\\|');

export function endpointLabel(endpoint: string): string {
  return endpoint === 'emulator'
    ? 'emulator on this machine — not cloud latency'
    : endpoint === 'live'
      ? 'live cloud'
      : 'embedded, this machine';
}

/** The report's tables as Markdown, for a README or a pull request. */
export function renderMarkdown(results: Results): string {
  const out: string[] = [];
  out.push('# cloudmux comparison report', '');
  out.push(
    `Generated ${results.generatedAt} on ${results.machine.cpus} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB), Node ${results.machine.node}.`,
    '',
  );
  out.push(
    `Settings: ${results.settings.events.toLocaleString('en-US')} pipeline events, ${results.settings.iterations} iterations, concurrency ${results.settings.concurrency}, retention ${results.settings.retentionDays} days.`,
    '',
  );
  if (results.providers.some((p) => p.endpoint === 'emulator')) {
    out.push(
      '> **Emulator figures are labelled as such.** They were measured against emulators or wire-compatible test servers on this machine and say nothing about cloud latency; costs are computed from the billable units the adapters metered, priced from dated list prices.',
      '',
    );
  }
  out.push(
    '## Providers',
    '',
    '| provider | endpoint | region | pipeline events/s | reconciled | cost of this run |',
    '|---|---|---|---|---|---|',
  );
  for (const p of results.providers) {
    out.push(
      `| ${p.name} | ${endpointLabel(p.endpoint)} | ${p.region} | ${p.pipeline ? Math.round(p.pipeline.eventsPerSecond).toLocaleString('en-US') : '—'} | ${p.pipeline ? (p.pipeline.reconciled ? 'yes' : '**no**') : '—'} | ${usd(p.cost.totalUsd)} |`,
    );
  }
  for (const s of results.skipped) out.push(`| ${s.name} | skipped | — | — | — | ${cell(s.reason)} |`);
  out.push('');

  out.push('## Latency per operation (ms)', '');
  out.push(
    '| provider | endpoint | resource | operation | workload | count | p50 | p90 | p99 | max | ops/s | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const p of results.providers) {
    for (const o of p.operations) {
      out.push(
        `| ${p.name} | ${p.endpoint} | ${o.resource} | ${o.operation} | ${o.workload} | ${o.count} | ${ms(o.p50Ms)} | ${ms(o.p90Ms)} | ${ms(o.p99Ms)} | ${ms(o.maxMs)} | ${o.throughputPerSecond ? Math.round(o.throughputPerSecond) : '—'} | ${o.errors} |`,
      );
    }
  }
  out.push('');

  out.push(
    '## Cost of this run',
    '',
    '| provider | service | unit | quantity | unit price (USD) | USD | source |',
    '|---|---|---|---|---|---|---|',
  );
  for (const p of results.providers) {
    if (p.cost.lines.length === 0)
      out.push(`| ${p.name} | — | — | — | — | $0 | ${cell(p.cost.assumptions[0] ?? '')} |`);
    for (const l of p.cost.lines)
      out.push(
        `| ${p.name} | ${l.service} | ${l.unit} | ${l.quantity.toLocaleString('en-US', { maximumFractionDigits: 3 })} | ${l.unitPriceUsd.toExponential(3)} | ${usd(l.usd)} | ${cell(l.source)} |`,
      );
  }
  out.push('');

  out.push('## Projected monthly cost (USD)', '');
  const volumes = results.settings.volumes;
  out.push(
    `| provider | ${volumes.map((v) => `${v.toLocaleString('en-US')} events/day`).join(' | ')} |`,
    `|---|${volumes.map(() => '---').join('|')}|`,
  );
  for (const p of results.providers) {
    out.push(
      `| ${p.name} | ${volumes.map((v) => usd(p.cost.projections.find((x) => x.eventsPerDay === v)?.totalUsd ?? 0)).join(' | ')} |`,
    );
  }
  out.push('', '### Assumptions', '');
  for (const p of results.providers) for (const a of p.cost.assumptions) out.push(`- **${p.name}**: ${a}`);
  for (const p of results.providers)
    if (p.cost.unpricedUnits.length)
      out.push(`- **${p.name}**: metered but not priced (informational): ${p.cost.unpricedUnits.join(', ')}`);
  out.push('');

  const caps = capabilityRows(results);
  if (caps.rows.length) {
    out.push(
      '## Capabilities (from the contract suites)',
      '',
      `| capability | ${caps.providers.join(' | ')} |`,
      `|---|${caps.providers.map(() => '---').join('|')}|`,
    );
    for (const row of caps.rows)
      out.push(
        `| ${row.name} | ${row.values.map((v) => (v === undefined ? '—' : v ? '✅' : '❌')).join(' | ')} |`,
      );
    out.push('');
  }

  out.push('## Strengths and weaknesses (derived from this run)', '');
  for (const i of deriveInsights(results)) {
    out.push(`### ${i.provider}`, '');
    for (const p of i.pros) out.push(`- ➕ ${p}`);
    for (const c of i.cons) out.push(`- ➖ ${c}`);
    if (!i.pros.length && !i.cons.length) out.push('- (nothing distinguishing measured)');
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export function capabilityRows(results: Results): {
  providers: string[];
  rows: Array<{ name: string; values: Array<boolean | undefined> }>;
} {
  const providers = results.providers.filter((p) => Object.keys(p.capabilities).length).map((p) => p.name);
  const names = new Set<string>();
  for (const p of results.providers)
    for (const [iface, caps] of Object.entries(p.capabilities))
      for (const cap of Object.keys(caps)) names.add(`${iface}.${cap}`);
  const rows = [...names].sort().map((name) => {
    const [iface, cap] = name.split('.') as [string, string];
    return {
      name,
      values: providers.map((p) => results.providers.find((x) => x.name === p)!.capabilities[iface]?.[cap]),
    };
  });
  return { providers, rows };
}
