/**
 * Reading an object without a lock: open (or lstat) the data file, pair it with its sidecar, and
 * read the body from the open fd, so the inode read stays the one whose etag was reported even if
 * the key is replaced meanwhile. Reads refuse symbolic links: O_NOFOLLOW on the file, and the
 * kernel's own answer (`/proc/self/fd`) for where the open file really is.
 */
import { type BigIntStats, closeSync, fstatSync, lstatSync, openSync, read, readSync } from 'node:fs';
import type { DriverBodySource, ObjectInfo } from '@cloudmux/core';
import { fail } from './errors.ts';
import { errno, type Layout, linkError, refuseLinks } from './layout.ts';
import { READ_NO_FOLLOW } from './links.ts';
import { infoOf, matches, readSidecar } from './sidecar.ts';

const STREAM_CHUNK = 256 * 1024;

/** How `current` looks at the data file. */
export type Access =
  /** opened with O_NOFOLLOW and checked through /proc; the fd is returned to the caller */
  | 'open'
  /** lstat after checking the path for links */
  | 'stat'
  /** lstat only: a listing walked real directories and skips links itself */
  | 'listed';

/** A data file and the sidecar that matches it, as seen by a reader. */
export interface Current {
  stat: BigIntStats;
  info: ObjectInfo;
  /** Set when `access` was 'open'. */
  fd: number | undefined;
}

const notFound = (key: string) => fail('NotFound', `no object at key ${JSON.stringify(key)}`);

/**
 * Stats the data file and pairs it with its sidecar. A mismatch while the key's lock is held is a
 * writer between its two renames: wait and look again. A mismatch with no lock held is a crash
 * leftover or a foreign file.
 */
export async function current(
  layout: Layout,
  key: string,
  operation: string,
  access: Access,
): Promise<Current> {
  const path = layout.dataPath(key);
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    let stat: BigIntStats;
    try {
      if (access === 'open') {
        fd = openSync(path, READ_NO_FOLLOW);
        stat = fstatSync(fd, { bigint: true });
        const link = layout.links.openedThroughLink(fd, key);
        if (link !== undefined) throw linkError(key, link);
      } else {
        if (access === 'stat') refuseLinks(layout, key);
        stat = lstatSync(path, { bigint: true });
        if (stat.isSymbolicLink() && access === 'stat') throw linkError(key, key);
      }
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      const code = errno(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(key);
      // O_NOFOLLOW met a link as the last component of the path.
      if (code === 'ELOOP') throw linkError(key, layout.links.linkOnPath(key) ?? key);
      throw layout.translate(error, operation, key, path);
    }
    if (!stat.isFile()) {
      if (fd !== undefined) closeSync(fd);
      throw notFound(key);
    }
    const sidecar = readSidecar(layout, key);
    if (matches(sidecar, stat)) return { stat, info: infoOf(key, stat, sidecar), fd };
    const held = layout.locks.isHeld(key);
    if ((held && attempt < 50) || attempt === 0) {
      if (fd !== undefined) closeSync(fd);
      if (held) await new Promise((r) => setTimeout(r, Math.min(1 + attempt, 10)));
      continue;
    }
    return { stat, info: infoOf(key, stat, undefined), fd };
  }
}

export function readRangeSync(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let offset = 0;
  while (offset < length) {
    const n = readSync(fd, buffer, offset, length - offset, start + offset);
    if (n === 0) throw fail('Internal', 'the object ended before its recorded size');
    offset += n;
  }
  return buffer;
}

// A body never read keeps its fd open; closing it when the body is collected bounds the leak.
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/** A body read lazily from an open fd (the inode stays readable even if the key is replaced). */
export function fdBody(layout: Layout, fd: number, start: number, length: number): DriverBodySource {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  const source: DriverBodySource = {
    stream: () => {
      unclosed.unregister(source);
      let position = start;
      const end = start + length;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            if (position >= end) {
              close();
              controller.close();
              return;
            }
            const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, end - position));
            const bytesRead = await readAt(fd, chunk, 0, chunk.length, position);
            if (bytesRead === 0) throw fail('Internal', 'the object ended before its recorded size');
            position += bytesRead;
            controller.enqueue(chunk.subarray(0, bytesRead));
          } catch (error) {
            close();
            controller.error(layout.translate(error, 'get', undefined, layout.root));
          }
        },
        cancel: () => close(),
      });
    },
    bytes: async () => {
      unclosed.unregister(source);
      try {
        const buffer = Buffer.allocUnsafe(length);
        let offset = 0;
        while (offset < length) {
          const bytesRead = await readAt(fd, buffer, offset, length - offset, start + offset);
          if (bytesRead === 0) throw fail('Internal', 'the object ended before its recorded size');
          offset += bytesRead;
        }
        return buffer;
      } catch (error) {
        throw layout.translate(error, 'get', undefined, layout.root);
      } finally {
        close();
      }
    },
  };
  unclosed.register(source, fd, source);
  return source;
}

/** fs.read at a position, as a promise (node:fs/promises has no fd-based read). */
function readAt(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}
