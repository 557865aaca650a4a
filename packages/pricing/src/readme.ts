import { readFileSync, writeFileSync } from 'node:fs';
import { priceTables } from './tables.ts';

const BEGIN =
  '<!-- price-sources:begin (generated from src/tables/*.json by `pnpm --filter @cloudmux/pricing readme`) -->';
const END = '<!-- price-sources:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function priceText(usd: number, per: number): string {
  const units: Array<[number, string]> = [
    [2 ** 40, 'TiB'],
    [1e12, 'TB'],
    [2 ** 30, 'GiB'],
    [200 * 2 ** 20, '200 MiB'],
  ];
  const named = units.find(([n]) => n === per);
  if (named) return `$${usd} per ${named[1]}`;
  return per === 1 ? `$${usd}` : `$${usd} per ${per.toLocaleString('en-US')}`;
}

/** The README table: every price with its source class, URL, SKU and as-of date. */
export function renderPriceSources(): string {
  const rows = [
    '| Provider | Region | Unit | Price | Class | Source | SKU | As of | Via / note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const table of priceTables) {
    for (const price of table.prices) {
      const s = price.source;
      rows.push(
        `| ${table.provider} | ${table.region} | \`${price.unit}\` | ${priceText(price.usd, price.per)} | ${s.class} | ${s.url} | ${cell(s.sku ?? '—')} | ${s.asOf} | ${cell([s.via, s.note].filter(Boolean).join('; ') || '—')} |`,
      );
    }
  }
  const count = (cls: string) =>
    priceTables.flatMap((t) => t.prices).filter((p) => p.source.class === cls).length;
  return [
    BEGIN,
    `${count('primary')} primary and ${count('secondary')} secondary prices in ${priceTables.length} tables.`,
    '',
    ...rows,
    END,
  ].join('\n');
}

/** The README with its generated section replaced by the current tables. */
export function updatedReadme(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md has no price-sources markers');
  return readme.slice(0, start) + renderPriceSources() + readme.slice(end + END.length);
}

export const README_PATH = new URL('../README.md', import.meta.url);

if (import.meta.main) {
  writeFileSync(README_PATH, updatedReadme(readFileSync(README_PATH, 'utf8')));
}
