export type {
  DriverReceiveOptions,
  DriverSendOutcome,
  OutgoingMessage,
  QueueDriver,
  QueueSettings,
} from './driver.ts';
export { bodyBytes, messageJson, messageText } from './messages.ts';
export { type PortableQueueOptions, portableQueue, queueDriverOf } from './portable-queue.ts';
export type * from './types.ts';
export { DEFAULT_MAX_DELIVERIES } from './validate.ts';
