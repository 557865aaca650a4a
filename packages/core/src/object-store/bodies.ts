/** Object bodies drivers hand to the portable type, built the same way for every driver. */
import { Readable } from 'node:stream';
import type { DriverBodySource } from './driver.ts';

/** A body already in memory. */
export function bufferedBody(bytes: Uint8Array): DriverBodySource {
  return {
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          controller.close();
        },
      }),
    bytes: async () => bytes,
  };
}

/** A body arriving as a Node stream (an HTTP response); read once, whole or as a web stream. */
export function readableBody(body: Readable): DriverBodySource {
  return {
    stream: () => Readable.toWeb(body) as ReadableStream<Uint8Array>,
    bytes: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of body)
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}
