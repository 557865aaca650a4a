import { CloudmuxError } from '@cloudmux/core';
import { z } from 'zod';
import awsEuWest1 from './tables/aws-eu-west-1.json' with { type: 'json' };
import awsUsEast1 from './tables/aws-us-east-1.json' with { type: 'json' };
import azureEastus from './tables/azure-eastus.json' with { type: 'json' };
import azureWesteurope from './tables/azure-westeurope.json' with { type: 'json' };
import gcpEuropeWest1 from './tables/gcp-europe-west1.json' with { type: 'json' };
import gcpUsCentral1 from './tables/gcp-us-central1.json' with { type: 'json' };

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be YYYY-MM-DD');

/** Hosts that count as the provider's own page or price API (a `primary` source). */
export const PRIMARY_HOSTS: Readonly<Record<string, readonly string[]>> = {
  aws: ['aws.amazon.com', 'docs.aws.amazon.com', 'pricing.us-east-1.amazonaws.com'],
  gcp: ['cloud.google.com', 'cloudbilling.googleapis.com'],
  azure: ['azure.microsoft.com', 'learn.microsoft.com', 'prices.azure.com'],
};

export const priceSourceSchema = z
  .object({
    url: z.url(),
    /** The provider's SKU or meter id, where the provider publishes one. */
    sku: z.string().min(1).optional(),
    asOf: isoDate,
    /**
     * primary = the provider's own pricing page or price API; secondary = anything else (`via` says
     * what); user-stated = a figure the user gave (self-hosted machine-hours), never a published price.
     */
    class: z.enum(['primary', 'secondary', 'user-stated']),
    via: z.string().min(1).optional(),
    note: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => s.class === 'primary' || s.via !== undefined, {
    message: 'a secondary or user-stated source names where the figure came from in `via`',
    path: ['via'],
  });

export const priceEntrySchema = z
  .object({
    /** The billable unit (reported by an adapter through `reportUsage`, or derived by the model). */
    unit: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/),
    service: z.string().min(1),
    description: z.string().min(1),
    /** Price in USD for `per` units. */
    usd: z.number().nonnegative(),
    per: z.number().positive(),
    /** Monthly allowance, subtracted only when a scenario turns free tiers on. */
    freeTier: z.object({ quantity: z.number().nonnegative(), note: z.string() }).strict().optional(),
    source: priceSourceSchema,
  })
  .strict();

export const priceTableSchema = z
  .object({
    provider: z.string().min(1),
    region: z.string().min(1),
    currency: z.literal('USD'),
    prices: z.array(priceEntrySchema).min(1),
  })
  .strict()
  .superRefine((table, ctx) => {
    const hosts = PRIMARY_HOSTS[table.provider] ?? [];
    const seen = new Set<string>();
    table.prices.forEach((price, index) => {
      if (seen.has(price.unit)) {
        ctx.addIssue({ code: 'custom', message: `duplicate unit ${price.unit}`, path: ['prices', index] });
      }
      seen.add(price.unit);
      if (price.source.class === 'primary' && !hosts.includes(new URL(price.source.url).host)) {
        ctx.addIssue({
          code: 'custom',
          message: `${price.unit}: a primary source must be the provider's own page or price API (${hosts.join(', ')})`,
          path: ['prices', index, 'source', 'url'],
        });
      }
    });
  });

export type PriceSource = z.output<typeof priceSourceSchema>;
export type PriceEntry = z.output<typeof priceEntrySchema>;
export type PriceTable = z.output<typeof priceTableSchema>;

/** The built-in tables, validated on load: one per provider and region. */
export const priceTables: readonly PriceTable[] = [
  awsUsEast1,
  awsEuWest1,
  gcpUsCentral1,
  gcpEuropeWest1,
  azureEastus,
  azureWesteurope,
].map((table) => priceTableSchema.parse(table));

/** Regions with a price table, per provider. */
export function pricedRegions(provider: string): string[] {
  return priceTables.filter((t) => t.provider === provider).map((t) => t.region);
}

/**
 * The table for a provider's configured region. A region (or provider) without a table is an
 * `InvalidArgument` naming the ones that have one: pricing another region's services silently
 * would be wrong by the regional difference.
 */
export function priceTable(provider: string, region: string): PriceTable {
  const table = priceTables.find((t) => t.provider === provider && t.region === region);
  if (table) return table;
  const regions = pricedRegions(provider);
  const providers = [...new Set(priceTables.map((t) => t.provider))];
  throw new CloudmuxError({
    code: 'InvalidArgument',
    operation: 'priceTable',
    provider,
    message: regions.length
      ? `no price table for ${provider} region '${region}'; priced regions: ${regions.join(', ')} (set the provider's region to one of them)`
      : `no price tables for provider '${provider}'; priced providers: ${providers.join(', ')}`,
  });
}
