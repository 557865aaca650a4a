import { readFileSync } from 'node:fs';
import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { README_PATH, updatedReadme } from './readme.ts';
import { PRIMARY_HOSTS, pricedRegions, priceTable, priceTableSchema, priceTables } from './tables.ts';

describe('price tables', () => {
  it('cover at least two regions per cloud', () => {
    for (const provider of ['aws', 'gcp', 'azure'])
      expect(pricedRegions(provider).length).toBeGreaterThanOrEqual(2);
    expect(pricedRegions('aws')).toEqual(['us-east-1', 'eu-west-1']);
    expect(pricedRegions('gcp')).toEqual(['us-central1', 'europe-west1']);
    expect(pricedRegions('azure')).toEqual(['eastus', 'westeurope']);
  });

  it('give every price a source class, an https URL and an as-of date; primary sources are the provider’s own', () => {
    for (const table of priceTables) {
      for (const price of table.prices) {
        const { source } = price;
        expect(source.url, price.unit).toMatch(/^https:\/\//);
        expect(source.asOf, price.unit).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (source.class === 'primary')
          expect(PRIMARY_HOSTS[table.provider]).toContain(new URL(source.url).host);
        else expect(source.via, price.unit).toBeTruthy();
      }
    }
  });

  it('reject a third-party page labelled primary, and a secondary source without `via`', () => {
    const table = (source: Record<string, string>) => ({
      provider: 'aws',
      region: 'us-east-1',
      currency: 'USD',
      prices: [{ unit: 'sqs.requests', service: 'SQS', description: 'x', usd: 0.4, per: 1e6, source }],
    });
    const ok = { url: 'https://aws.amazon.com/sqs/pricing/', asOf: '2026-01-01', class: 'primary' };
    expect(priceTableSchema.safeParse(table(ok)).success).toBe(true);
    expect(
      priceTableSchema.safeParse(table({ ...ok, url: 'https://cloudburn.io/blog/amazon-sqs-pricing' }))
        .success,
    ).toBe(false);
    expect(priceTableSchema.safeParse(table({ ...ok, class: 'secondary' })).success).toBe(false);
  });

  it('a region without a table is InvalidArgument naming the regions that have one', () => {
    expect(priceTable('gcp', 'europe-west1').region).toBe('europe-west1');
    for (const [provider, region, named] of [
      ['gcp', 'asia-east1', 'us-central1, europe-west1'],
      ['nosuch', 'x', 'aws, gcp, azure'],
    ] as const) {
      let error: unknown;
      try {
        priceTable(provider, region);
      } catch (e) {
        error = e;
      }
      expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
      expect((error as Error).message).toContain(named);
    }
  });

  it('README.md lists every price with its source class, URL, SKU and date (regenerate with `pnpm --filter @cloudmux/pricing readme`)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(updatedReadme(readme)).toBe(readme);
    for (const table of priceTables) {
      for (const price of table.prices) {
        expect(readme).toContain(`| ${table.provider} | ${table.region} | \`${price.unit}\``);
      }
    }
  });
});
