import { z } from 'zod';
import aws from './tables/aws-us-east-1.json' with { type: 'json' };
import azure from './tables/azure-eastus.json' with { type: 'json' };
import gcp from './tables/gcp-us-central1.json' with { type: 'json' };

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be YYYY-MM-DD');

export const priceEntrySchema = z
  .object({
    /** The billable unit adapters report through `reportUsage` (e.g. `sqs.requests`). */
    unit: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/),
    service: z.string().min(1),
    description: z.string().min(1),
    /** Price in USD for `per` units. */
    usd: z.number().nonnegative(),
    per: z.number().positive(),
    freeTier: z.object({ quantity: z.number().nonnegative(), note: z.string() }).strict().optional(),
    /** Every price carries where it came from and when. */
    source: z.object({ url: z.url(), via: z.string().optional(), asOf: isoDate }).strict(),
  })
  .strict();

export const priceTableSchema = z
  .object({
    provider: z.string().min(1),
    region: z.string().min(1),
    currency: z.literal('USD'),
    prices: z.array(priceEntrySchema).min(1),
  })
  .strict();

export type PriceEntry = z.output<typeof priceEntrySchema>;
export type PriceTable = z.output<typeof priceTableSchema>;

/** The built-in tables, validated on load: one per provider and region. */
export const priceTables: readonly PriceTable[] = [aws, gcp, azure].map((table) =>
  priceTableSchema.parse(table),
);

export function priceTable(provider: string, region?: string): PriceTable | undefined {
  return priceTables.find((t) => t.provider === provider && (region === undefined || t.region === region));
}
