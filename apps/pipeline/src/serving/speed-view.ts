import type { ObjectStore } from '@cloudmux/core';
import { dayOf } from '../events.ts';
import { LAYOUT, parseSpeedKey } from '../layout.ts';
import { type HourlyBuckets, mergePartial, type SpeedPartial } from '../speed/aggregates.ts';

export interface SpeedView {
  /** Hours at or after this (epoch ms) — the start of the batch cutoff day. */
  fromTs: number;
  airports: HourlyBuckets;
  routes: HourlyBuckets;
  partials: number;
  events: number;
  /** Partials before the cutoff whose events the batch views do not have yet. */
  latePartials: number;
}

/**
 * The speed layer's serving table: the per-message partials in the ObjectStore, merged. Partials are
 * immutable (a redelivery rewrites identical content), so fetched ones are cached by key.
 */
export class SpeedViewReader {
  readonly #store: ObjectStore;
  readonly #cache = new Map<string, SpeedPartial>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  async read(cutoffDay: string | null): Promise<SpeedView> {
    const fromTs = cutoffDay ? Date.parse(`${cutoffDay}T00:00:00Z`) : Number.NEGATIVE_INFINITY;
    const keys: string[] = [];
    let latePartials = 0;
    for await (const info of this.#store.listAll({ prefix: LAYOUT.speedPrefix })) {
      const parsed = parseSpeedKey(info.key);
      if (!parsed) continue;
      if (cutoffDay && parsed.day < cutoffDay) {
        latePartials++;
        continue;
      }
      keys.push(info.key);
    }
    const live = new Set(keys);
    for (const key of this.#cache.keys()) if (!live.has(key)) this.#cache.delete(key);
    const missing = keys.filter((key) => !this.#cache.has(key));
    for (let start = 0; start < missing.length; start += 64) {
      await Promise.all(
        missing.slice(start, start + 64).map(async (key) => {
          const partial = JSON.parse(await (await this.#store.get(key)).text()) as SpeedPartial;
          this.#cache.set(key, partial);
        }),
      );
    }
    const view: SpeedView = {
      fromTs,
      airports: {},
      routes: {},
      partials: keys.length,
      events: 0,
      latePartials,
    };
    for (const key of keys) {
      const partial = this.#cache.get(key)!;
      view.events += partial.count;
      mergePartial(view, partial, fromTs);
    }
    return view;
  }
}

export function speedViewDays(view: SpeedView): string | null {
  return Number.isFinite(view.fromTs) ? dayOf(view.fromTs) : null;
}
