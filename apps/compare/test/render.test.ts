import { describe, expect, it } from 'vitest';
import { renderHtml } from '../src/render/html.ts';
import { renderMarkdown } from '../src/render/markdown.ts';
import type { ProjectionResult, ProviderResult, Results } from '../src/results.ts';
import { verdict } from '../src/verdict.ts';

const projection = (eventsPerDay: number, monthlyUsd: number, extra: Partial<ProjectionResult> = {}) =>
  ({
    eventsPerDay,
    batchRunsPerDay: 24,
    monthlyUsd,
    lowUsd: monthlyUsd,
    highUsd: monthlyUsd,
    lines: [],
    unpriced: [],
    ...extra,
  }) as ProjectionResult;

function provider(name: string, endpoint: ProviderResult['endpoint'], more: Partial<ProviderResult> = {}) {
  return {
    name,
    endpoint,
    endpointDetail: {},
    region: 'this machine',
    pricingRegion: null,
    operations: [],
    pipeline: null,
    dataSize: null,
    projections: [],
    sensitivity: [],
    assumptions: [],
    unpriced: [],
    capabilities: { queue: { fifo: true, deadLetter: false } },
    capabilitySource: 'declared',
    errors: [],
    ...more,
  } satisfies ProviderResult;
}

const results = (providers: ProviderResult[]): Results => ({
  schemaVersion: 2,
  generatedAt: '2026-12-02T00:00:00Z',
  machine: { cpus: 'cpu', cores: 2, memoryGiB: 4, node: 'v24', platform: 'linux-x64' },
  settings: {
    pipeline: true,
    events: 5000,
    iterations: 10,
    concurrency: 4,
    warmup: 1,
    volumes: [100_000, 10_000_000],
    batchRunsPerDay: 24,
    retentionDays: 30,
    freeTier: false,
  },
  providers,
  skipped: [],
  breakEvens: [],
});

describe('report rendering', () => {
  it('replaces cost charts with a sentence when every provider costs $0', () => {
    const r = results([
      provider('local', 'embedded', { projections: [projection(100_000, 0), projection(10_000_000, 0)] }),
    ]);
    const html = renderHtml(r);
    for (const id of ['cost-breakdown', 'cost-sensitivity']) {
      expect(html).toContain(`data-no-chart="${id}"`);
      expect(html).not.toContain(`<canvas id="${id}"`);
    }
    expect(html).toMatch(/Every provider in this run costs \$0 at 10 M events\/day/);
  });

  it('lists every unpriced unit as "unpriced: quantity unit" and calls that figure a lower bound', () => {
    const unpriced = [{ service: 'Synapse', unit: 'synapse.dedicated.statements', quantity: 1234.5 }];
    const r = results([
      provider('azure', 'emulator', {
        pricingRegion: 'eastus',
        projections: [projection(100_000, 5), projection(10_000_000, 50, { unpriced })],
        unpriced,
      }),
    ]);
    const line = 'azure: unpriced: 1,234.5 synapse.dedicated.statements (Synapse)';
    expect(renderHtml(r)).toContain(line);
    expect(renderMarkdown(r)).toContain(line);
    expect(verdict(r).join(' ')).toMatch(
      /azure leaves 1 metered unit unpriced \(synapse\.dedicated\.statements\), so its figure is a lower bound/,
    );
  });

  it('writes capabilities as yes/no text, never as symbols', () => {
    const md = renderMarkdown(results([provider('local', 'embedded')]));
    expect(md).toContain('| queue.fifo | yes |');
    expect(md).toContain('| queue.deadLetter | no |');
    expect(md).not.toMatch(/\p{Extended_Pictographic}/u);
    expect(renderHtml(results([provider('local', 'embedded')]))).not.toMatch(/\p{Extended_Pictographic}/u);
  });

  it('labels emulators as emulators and the self-hosted stack as real servers here, neither as the cloud', () => {
    const md = renderMarkdown(results([provider('aws', 'emulator'), provider('selfhosted', 'emulator')]));
    expect(md).toMatch(/\| aws \| emulator on this machine \(not cloud latency\) \|/);
    expect(md).toMatch(/\| selfhosted \| real servers on this machine \(not a production cluster\) \|/);
  });
});
