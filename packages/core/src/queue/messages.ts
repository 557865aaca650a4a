import type { ReceivedMessage } from './types.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function messageText(message: Pick<ReceivedMessage, 'body'>): string {
  return decoder.decode(message.body);
}

export function messageJson<T = unknown>(message: Pick<ReceivedMessage, 'body'>): T {
  return JSON.parse(decoder.decode(message.body)) as T;
}

export function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}
