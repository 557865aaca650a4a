/**
 * Writing an object: stage the bytes in a temp file beside the target (outside any lock), take the
 * key's lock, check the condition (create-only, compare-and-swap), rename the data into place,
 * rewrite the sidecar, release. A crash leaves either the old or the new data file, never a torn
 * one. Symbolic links are refused before anything is staged and again under the lock.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, linkSync, mkdirSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { copyFile, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { PutResult } from '@cloudmux/core';
import { fail } from './errors.ts';
import {
  ancestors,
  conflict,
  errno,
  isDirectory,
  type Layout,
  openTmpSync,
  pruneParents,
  refuseLinks,
  syncPath,
  tryUnlink,
  withParent,
} from './layout.ts';
import { etagUnderLock, type Sidecar, writeSidecarInPlace } from './sidecar.ts';

/** The identity of a staged temp file, recorded in the sidecar. */
export interface Staged {
  ino: bigint;
  size: number;
  mtimeNs: bigint;
}

export interface Conditions {
  createOnly?: boolean | undefined;
  ifMatch?: string | undefined;
}

export type Stage = (path: string) => Staged | Promise<Staged>;

export function stageBytesSync(layout: Layout, path: string, bytes: Uint8Array): Staged {
  const fd = openTmpSync(layout, path);
  try {
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
    const stat = fstatSync(fd, { bigint: true });
    return { ino: stat.ino, size: bytes.byteLength, mtimeNs: stat.mtimeNs };
  } finally {
    closeSync(fd);
  }
}

/** Writes a body incrementally (never buffered whole); stops at the first chunk after `signal` aborts. */
export async function stageStream(
  layout: Layout,
  path: string,
  body: Uint8Array | Readable,
  signal: AbortSignal | undefined,
): Promise<Staged> {
  const handle = await withParent(layout, path, () => open(path, 'wx'));
  try {
    let size = 0;
    if (body instanceof Uint8Array) {
      await handle.writeFile(body);
      size = body.byteLength;
    } else {
      for await (const chunk of body) {
        signal?.throwIfAborted();
        const bytes =
          typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? chunk : undefined;
        if (!bytes) throw fail('InvalidArgument', 'a body stream must yield Uint8Array or string chunks');
        let written = 0;
        while (written < bytes.byteLength) {
          written += (await handle.write(bytes, written, bytes.byteLength - written)).bytesWritten;
        }
        size += bytes.byteLength;
      }
    }
    if (layout.fsync) await handle.sync();
    const stat = await handle.stat({ bigint: true });
    return { ino: stat.ino, size, mtimeNs: stat.mtimeNs };
  } finally {
    await handle.close();
  }
}

/** Copies a file into a temp path (copyFile can reflink). */
export async function copyFileIntoTmp(layout: Layout, from: string, to: string): Promise<void> {
  // The source is held open by the caller, so ENOENT can only mean the temp file's directory.
  await withParent(layout, to, () => copyFile(from, to));
  if (layout.fsync) await syncPath(to);
}

/** Retries `move`, creating missing parent directories and clearing an empty one in the way. */
async function intoPlace(move: () => void | Promise<void>, path: string, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await move();
      return;
    } catch (error) {
      const code = errno(error);
      // ENOENT: parent missing, or pruned by a concurrent delete between our mkdir and rename.
      if (code === 'ENOENT' && attempt < 5) {
        try {
          mkdirSync(dirname(path), { recursive: true });
        } catch (mkdirError) {
          if (errno(mkdirError) === 'ENOTDIR' || errno(mkdirError) === 'EEXIST') throw conflict(key);
          throw mkdirError;
        }
        continue;
      }
      if (code === 'ENOTDIR') throw conflict(key);
      if ((code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') && isDirectory(path)) {
        // An empty directory left by a crash yields to the object; one with objects in it cannot.
        try {
          rmdirSync(path);
        } catch {
          throw conflict(key);
        }
        if (attempt < 5) continue;
      }
      throw error;
    }
  }
}

async function commit(
  layout: Layout,
  key: string,
  tmpData: string,
  sidecar: Sidecar,
  conditions: Conditions,
): Promise<void> {
  let release: (() => void) | undefined;
  let sidecarCreated = false;
  try {
    release = await layout.locks.acquire(key);
    // Again under the lock, right before the rename: a link may have appeared since staging.
    refuseLinks(layout, key);
    const target = layout.dataPath(key);
    if (conditions.createOnly) {
      // link() fails atomically when the target exists, even against writers that ignore our locks.
      try {
        await intoPlace(() => linkSync(tmpData, target), target, key);
      } catch (error) {
        if (errno(error) === 'EEXIST') {
          throw fail('AlreadyExists', `an object already exists at key ${JSON.stringify(key)}`);
        }
        throw error;
      }
      unlinkSync(tmpData);
    } else {
      if (conditions.ifMatch !== undefined) {
        const etag = etagUnderLock(layout, key);
        if (etag !== conditions.ifMatch) {
          throw fail(
            'PreconditionFailed',
            etag === undefined
              ? `no object at key ${JSON.stringify(key)} to compare-and-swap`
              : `the etag of key ${JSON.stringify(key)} has changed`,
          );
        }
      }
      // Asynchronous: replacing a file makes ext4 flush the new one first (auto_da_alloc), an
      // I/O wait that other puts can overlap in the thread pool instead of blocking the loop.
      await intoPlace(() => rename(tmpData, target), target, key);
    }
    sidecarCreated = writeSidecarInPlace(layout, key, sidecar);
  } finally {
    release?.();
  }
  if (layout.fsync) {
    // Flushed together after the lock, so the journal can commit them as one group. Every
    // ancestor directory is flushed too, in case this put created it (a clean one costs little).
    await Promise.all([
      ...ancestors(layout.dataPath(key), layout.root).map(syncPath),
      syncPath(layout.metaPath(key)),
      ...(sidecarCreated ? ancestors(layout.metaPath(key), layout.metaDir).map(syncPath) : []),
    ]);
  }
}

/** Stages with `stage`, then commits under the key's lock; nothing is left behind on failure. */
export async function stageAndCommit(
  layout: Layout,
  key: string,
  stage: Stage,
  sidecarFields: Pick<Sidecar, 't' | 'u'>,
  conditions: Conditions,
  operation: string,
): Promise<PutResult> {
  // Before anything is staged: a temp file or parent directory made through a link would land
  // outside the root.
  refuseLinks(layout, key);
  const tmpData = layout.tmpPath(key);
  try {
    const staged = await stage(tmpData);
    const etag = randomUUID();
    const sidecar: Sidecar = {
      e: etag,
      i: staged.ino.toString(),
      s: staged.size,
      m: staged.mtimeNs.toString(),
      ...sidecarFields,
    };
    await commit(layout, key, tmpData, sidecar, conditions);
    return { key, etag, size: staged.size };
  } catch (error) {
    // On success the temp file was renamed away; on failure it must not linger, nor a directory
    // made only to hold it.
    tryUnlink(tmpData);
    // Pruning walks up by path: never through a link that appeared meanwhile.
    if (layout.links.linkOnPath(key) === undefined) pruneParents(tmpData, layout.root);
    throw layout.translate(error, operation, key, tmpData);
  }
}
