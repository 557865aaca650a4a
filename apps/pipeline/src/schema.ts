import { type EventTimeBounds, eventTimeBounds } from './event-time.ts';

/** Bounds the data-quality step also checks in the warehouse; events outside are quarantined at ingest. */
export const DELAY_MIN = -120;
export const DELAY_MAX = 2000;

/** One flight event after validation: `ts` normalised to epoch milliseconds. */
export interface FlightEvent {
  id: string;
  ts: number;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

/** One flight event as clients send it: `ts` is epoch milliseconds or an ISO 8601 date-time. */
export type FlightEventInput = Omit<FlightEvent, 'ts'> & { ts: number | string };

const FIELDS = ['id', 'ts', 'delay', 'distance', 'origin', 'destination'] as const;
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);
const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const AIRPORT = /^[A-Z0-9]{3,4}$/;
// ISO 8601 date-time with an offset, `Z`, or none (local time), as the schema always accepted.
const ISO_DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?$/;

const typeName = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

const isoOf = (ms: number) => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};

/**
 * The rules of a flight event, compiled to plain checks: they run three million times per replay,
 * where a schema library's generic parse costs seconds. Each rule failed gives one reason
 * `field: message`; `ts` must lie within the event-time bounds (see event-time.ts).
 */
export interface FlightEventSchema {
  /**
   * Checks one event given field by field (the columns of a batch avoid building an object per
   * event). Returns the normalised `ts`, or the reasons it fails.
   */
  checkFields(
    id: unknown,
    ts: unknown,
    delay: unknown,
    distance: unknown,
    origin: unknown,
    destination: unknown,
  ): number | string[];
  /** The same rules for an event object; fields other than the six are refused. */
  check(event: unknown): FlightEvent | string[];
  /**
   * The same rules with the time bounds fixed as they are now, for one request: a default maximum
   * moves with the clock, and reading the clock once per event was 2 % of ingest.
   */
  atNow(): FlightEventSchema;
}

export function flightEventSchemaWith(bounds: EventTimeBounds): FlightEventSchema {
  const checkFields: FlightEventSchema['checkFields'] = (id, ts, delay, distance, origin, destination) => {
    // The valid event in epoch milliseconds (a replay's every event) passes these checks alone; only
    // an event failing one of them goes on to the rules below, which build its reasons.
    if (
      typeof id === 'string' &&
      isInt(ts) &&
      isInt(delay) &&
      isInt(distance) &&
      typeof origin === 'string' &&
      typeof destination === 'string' &&
      delay >= DELAY_MIN &&
      delay <= DELAY_MAX &&
      distance > 0 &&
      ts >= bounds.min &&
      ts <= bounds.max() &&
      ID.test(id) &&
      AIRPORT.test(origin) &&
      AIRPORT.test(destination)
    )
      return ts;
    let reasons: string[] | undefined;
    const fail = (reason: string) => {
      reasons ??= [];
      reasons.push(reason);
    };
    if (typeof id !== 'string') fail(`id: expected a string, received ${typeName(id)}`);
    else if (!ID.test(id)) fail('id: an id is 1–64 characters of A–Z a–z 0–9 . _ : -');
    // A time of the right form is checked against the bounds (a NaN from Date.parse fails there too).
    const iso = typeof ts === 'string' && ISO_DATE_TIME.test(ts);
    const time = isInt(ts) ? ts : iso ? Date.parse(ts as string) : Number.NaN;
    if (!isInt(ts) && !iso)
      fail(`ts: expected whole epoch milliseconds or an ISO 8601 date-time, received ${typeName(ts)}`);
    else {
      const max = bounds.max();
      if (!(time >= bounds.min && time <= max))
        fail(
          `ts: event time ${Number.isFinite(time) ? time : String(ts)} is outside ${isoOf(bounds.min)} .. ${isoOf(max)}`,
        );
    }
    if (!isInt(delay)) fail(`delay: expected a whole number, received ${typeName(delay)}`);
    else if (delay < DELAY_MIN || delay > DELAY_MAX)
      fail(`delay: must be within ${DELAY_MIN} .. ${DELAY_MAX}`);
    if (!isInt(distance)) fail(`distance: expected a whole number, received ${typeName(distance)}`);
    else if (distance <= 0) fail('distance: must be greater than 0');
    for (const [field, code] of [
      ['origin', origin],
      ['destination', destination],
    ] as const) {
      if (typeof code !== 'string') fail(`${field}: expected a string, received ${typeName(code)}`);
      else if (!AIRPORT.test(code)) fail(`${field}: an airport code is 3–4 upper-case letters or digits`);
    }
    return reasons ?? time;
  };
  return {
    checkFields,
    atNow() {
      const max = bounds.max();
      return flightEventSchemaWith({ min: bounds.min, max: () => max });
    },
    check(event) {
      if (typeof event !== 'object' || event === null || Array.isArray(event))
        return [`(event): expected an object, received ${typeName(event)}`];
      const record = event as Record<string, unknown>;
      const result = checkFields(
        record.id,
        record.ts,
        record.delay,
        record.distance,
        record.origin,
        record.destination,
      );
      const unknown = Object.keys(record).filter((key) => !FIELD_SET.has(key));
      if (unknown.length) {
        const reason = `(event): unrecognized key${unknown.length > 1 ? 's' : ''}: ${unknown.map((key) => JSON.stringify(key)).join(', ')}`;
        return typeof result === 'number' ? [reason] : [...result, reason];
      }
      if (typeof result !== 'number') return result;
      return {
        id: record.id as string,
        ts: result,
        delay: record.delay as number,
        distance: record.distance as number,
        origin: record.origin as string,
        destination: record.destination as string,
      };
    },
  };
}

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
    const result = schema.check(event);
    if (Array.isArray(result)) rejected.push({ event, reasons: result });
    else valid.push(result);
  }
  return { valid, rejected };
}

let configured: FlightEventSchema | undefined;
/** The schema with the configured bounds (PIPELINE_EVENT_TIME_MIN/MAX or the defaults), built on first use. */
function defaultSchema(): FlightEventSchema {
  configured ??= flightEventSchemaWith(eventTimeBounds());
  return configured;
}
