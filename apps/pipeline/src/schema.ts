import { z } from 'zod';
import { type EventTimeBounds, eventTimeBounds } from './event-time.ts';

/** Bounds the data-quality step also checks in the warehouse; events outside are quarantined at ingest. */
export const DELAY_MIN = -120;
export const DELAY_MAX = 2000;

const airportCode = z
  .string()
  .regex(/^[A-Z0-9]{3,4}$/, 'an airport code is 3–4 upper-case letters or digits');

/**
 * One flight event as clients send it. `ts` is epoch milliseconds or an ISO 8601 date-time; it is
 * normalised to epoch milliseconds and must lie within the event-time bounds (see event-time.ts).
 */
export function flightEventSchemaWith(bounds: EventTimeBounds) {
  return z
    .object({
      id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'an id is 1–64 characters of A–Z a–z 0–9 . _ : -'),
      ts: z
        .union([
          z.number().int(),
          z.iso.datetime({ offset: true, local: true }).transform((text) => Date.parse(text)),
        ])
        .superRefine((ts, ctx) => {
          const max = bounds.max();
          if (ts < bounds.min || ts > max)
            ctx.addIssue({
              code: 'custom',
              message: `event time ${Number.isFinite(ts) ? ts : String(ts)} is outside ${isoOf(bounds.min)} .. ${isoOf(max)}`,
            });
        }),
      delay: z.number().int().min(DELAY_MIN).max(DELAY_MAX),
      distance: z.number().int().positive(),
      origin: airportCode,
      destination: airportCode,
    })
    .strict();
}

const isoOf = (ms: number) => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};

export type FlightEventSchema = ReturnType<typeof flightEventSchemaWith>;
export type FlightEventInput = z.input<FlightEventSchema>;
export type FlightEvent = z.output<FlightEventSchema>;

export interface RejectedEvent {
  /** The event as received (never altered). */
  event: unknown;
  /** One line per failed rule: `field: message`. */
  reasons: string[];
}

export interface ValidationResult {
  valid: FlightEvent[];
  rejected: RejectedEvent[];
}

export function validateEvents(
  events: readonly unknown[],
  schema: FlightEventSchema = defaultSchema(),
): ValidationResult {
  const valid: FlightEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (const event of events) {
    const result = schema.safeParse(event);
    if (result.success) valid.push(result.data);
    else
      rejected.push({
        event,
        reasons: result.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`),
      });
  }
  return { valid, rejected };
}

let configured: FlightEventSchema | undefined;
/** The schema with the configured bounds (PIPELINE_EVENT_TIME_MIN/MAX or the defaults), built on first use. */
function defaultSchema(): FlightEventSchema {
  configured ??= flightEventSchemaWith(eventTimeBounds());
  return configured;
}
