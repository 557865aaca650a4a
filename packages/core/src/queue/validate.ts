/**
 * Argument rules of the portable Queue: one answer on every provider, with the ranges taken from
 * the driver's declared limits. Each check throws InvalidArgument naming the field and the range;
 * the operation runner adds provider, operation and queue to the message.
 */
import { DriverError } from '../portable/errors.ts';
import type { OutgoingMessage, QueueDriver, QueueSettings } from './driver.ts';
import { bodyBytes } from './messages.ts';
import type { EnsureQueueOptions, SendEntry } from './types.ts';

/** Dead-lettering after this many deliveries when only a dead-letter queue is named (as SQS and Pub/Sub default). */
export const DEFAULT_MAX_DELIVERIES = 5;

function invalid(problem: string): DriverError {
  return new DriverError('InvalidArgument', { detail: problem });
}

export function checkQueueName(driver: QueueDriver, name: unknown, field = 'queue') {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid(`${field} must be a non-empty string`);
  }
  const problem = driver.queueNameProblem(name);
  if (problem !== undefined) throw invalid(`${field} '${name}' is not valid: ${problem}`);
}

/** Whole seconds from 0 to `max`; undefined passes. */
export function checkWholeSeconds(value: unknown, max: number, field: string) {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalid(`${field} must be whole seconds from 0 to ${max}`);
  }
}

/** Seconds (fractions allowed) from 0 to `max`; undefined passes. */
export function checkSeconds(value: unknown, max: number, field: string) {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw invalid(`${field} must be from 0 to ${max} seconds`);
  }
}

export function checkCount(value: unknown, max: number, field: string) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`${field} must be a whole number from 1 to ${max}`);
  }
}

/** A message ready for the driver, with the size the service counts. */
export interface SizedMessage {
  message: OutgoingMessage;
  size: number;
}

export function outgoingMessage(
  driver: QueueDriver,
  body: string | Uint8Array,
  entry: Omit<SendEntry, 'body'>,
): SizedMessage {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw invalid('a message body is a string or a Uint8Array');
  }
  const bytes = bodyBytes(body);
  if (bytes.byteLength === 0) {
    // SQS needs at least one character and Pub/Sub non-empty data, so no portable queue takes one.
    throw invalid('a message body must not be empty');
  }
  checkWholeSeconds(entry.delaySeconds, driver.limits.maxDelaySeconds, 'delaySeconds');
  if (entry.attributes !== undefined) {
    for (const [name, value] of Object.entries(entry.attributes)) {
      if (typeof value !== 'string') throw invalid(`attribute '${name}' must be a string`);
    }
  }
  const message: OutgoingMessage = {
    body,
    bytes,
    delaySeconds: entry.delaySeconds,
    groupId: entry.groupId,
    dedupId: entry.dedupId,
    attributes: entry.attributes,
  };
  const size = driver.messageSize(message);
  if (size > driver.limits.maxMessageBytes) {
    throw invalid(
      `a message of ${size} bytes (as ${driver.provider} counts them) exceeds the limit of ${driver.limits.maxMessageBytes}`,
    );
  }
  return { message, size };
}

export function queueSettings(driver: QueueDriver, name: string, options: EnsureQueueOptions): QueueSettings {
  const { visibilityTimeoutSeconds, maxDeliveries, deadLetterQueue, fifo } = options;
  checkWholeSeconds(
    visibilityTimeoutSeconds,
    driver.limits.maxVisibilityTimeoutSeconds,
    'visibilityTimeoutSeconds',
  );
  if (maxDeliveries !== undefined) {
    if (deadLetterQueue === undefined) throw invalid('maxDeliveries needs a deadLetterQueue');
    checkCount(maxDeliveries, Number.MAX_SAFE_INTEGER, 'maxDeliveries');
  }
  if (deadLetterQueue !== undefined) {
    checkQueueName(driver, deadLetterQueue, 'deadLetterQueue');
    if (deadLetterQueue === name) throw invalid('a queue cannot be its own dead-letter queue');
  }
  const settings: QueueSettings = {};
  if (visibilityTimeoutSeconds !== undefined) settings.visibilityTimeoutSeconds = visibilityTimeoutSeconds;
  if (deadLetterQueue !== undefined) {
    settings.deadLetterQueue = deadLetterQueue;
    settings.maxDeliveries = maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  }
  if (fifo !== undefined) settings.fifo = fifo;
  return settings;
}
