import type { BillableUnits } from '@cloudmux/core';
import { type PriceTable, priceTable } from '../tables.ts';
import type { CostClass, CostLine, UnpricedUnit } from '../types.ts';
import { add, type Month, type Quantities } from './month.ts';
import { NOT_BILLED_SEPARATELY, serviceOf } from './units.ts';

/** Prices monthly quantities line by line; a free allowance is used once per unit, across classes. */
export function price(table: PriceTable, q: Quantities, freeTier: boolean, assumptions: string[]): Month {
  const lines: CostLine[] = [];
  const unpriced: UnpricedUnit[] = [];
  const order: CostClass[] = ['per-event', 'per-batch-run', 'fixed'];
  const sorted = [...q.values()].sort(
    (a, b) => order.indexOf(a.cls) - order.indexOf(b.cls) || a.unit.localeCompare(b.unit),
  );
  const freeLeft = new Map<string, number>();
  for (const { cls, unit, quantity } of sorted) {
    const entry = table.prices.find((e) => e.unit === unit);
    if (!entry) {
      const found = unpriced.find((u) => u.unit === unit);
      if (found) found.quantity += quantity;
      else unpriced.push({ service: serviceOf(unit, table), unit, quantity });
      continue;
    }
    if (!freeLeft.has(unit)) freeLeft.set(unit, freeTier ? (entry.freeTier?.quantity ?? 0) : 0);
    const freeQuantity = Math.min(quantity, freeLeft.get(unit) ?? 0);
    freeLeft.set(unit, (freeLeft.get(unit) ?? 0) - freeQuantity);
    const unitPriceUsd = entry.usd / entry.per;
    lines.push({
      service: entry.service,
      unit,
      class: cls,
      quantity,
      freeQuantity,
      unitPriceUsd,
      usd: (quantity - freeQuantity) * unitPriceUsd,
      source: entry.source,
    });
  }
  assumptions.push(
    freeTier
      ? 'Free tiers: monthly allowances subtracted (once per unit, per billing account).'
      : 'Free tiers: not applied.',
  );
  if (unpriced.length) {
    assumptions.push(
      `Unpriced (no confirmed price in the ${table.provider} ${table.region} table, not counted in the total): ${unpriced.map((u) => u.unit).join(', ')}.`,
    );
  }
  return { usd: lines.reduce((n, l) => n + l.usd, 0), lines, unpriced, assumptions };
}

/**
 * Prices units as they are, without projecting: the figure for one measured run, or for quantities a
 * caller already built. Units in no price table come back in `unpriced`.
 */
export function priceUnits(
  provider: string,
  region: string,
  units: BillableUnits,
  options: { freeTier?: boolean; costClass?: CostClass } = {},
): { usd: number; lines: CostLine[]; unpriced: UnpricedUnit[] } {
  if (provider === 'local') return { usd: 0, lines: [], unpriced: [] };
  const table = priceTable(provider, region);
  const q: Quantities = new Map();
  for (const [unit, value] of Object.entries(units)) {
    if (!(unit in NOT_BILLED_SEPARATELY)) add(q, options.costClass ?? 'per-event', unit, value);
  }
  const { usd, lines, unpriced } = price(table, q, options.freeTier ?? false, []);
  return { usd, lines, unpriced };
}
