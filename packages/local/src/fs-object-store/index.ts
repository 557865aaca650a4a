/**
 * The embedded object store: one file per object under `root`, at the path named by its key, so
 * DuckDB and any other tool read lake files straight from disk (`uriOf` → `file:///…`).
 *
 * Layout (layout.ts):
 * - `<root>/<key>`                the object's bytes, nothing else;
 * - `<root>/<dir>/.cloudmux-tmp-*` temp files beside their target, renamed into place (atomic);
 * - `<state>/meta/<key>`          a JSON sidecar (sidecar.ts): etag, content type, user metadata,
 *                                 and the identity (inode, size, mtime) of the data file it describes;
 * - `<state>/locks/`              per-key lock files (../fs-key-lock.ts).
 * The state directory defaults to a hidden sibling of the root (`.<root name>.cloudmux`), so a
 * glob over the root (DuckDB's `**` includes hidden entries) only ever meets data files.
 * Symbolic links below the root are never followed, by any operation (links.ts).
 *
 * The parts: which keys a directory tree can hold (keys.ts), writes under the key's lock with
 * create-only and compare-and-swap (commit.ts), lock-free readers (reader.ts), and listing with
 * resumable page tokens (list-cursor.ts). This file is the driver that joins them; the portable
 * ObjectStore in `@cloudmux/core` validates, meters and writes the error messages.
 *
 * Small bodies (writes ≤ 64 KiB without fsync, reads ≤ 1 MiB) use synchronous syscalls: each
 * costs a few microseconds, less than one round trip through libuv's thread pool. Larger bodies
 * and streams are written incrementally with asynchronous I/O and are never buffered whole.
 */
import { closeSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  bufferedBody,
  type Meter,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type ObjectStoreDriver,
  portableObjectStore,
} from '@cloudmux/core';
import { copyFileIntoTmp, type Stage, stageAndCommit, stageBytesSync, stageStream } from './commit.ts';
import { fail, fsErrorCode } from './errors.ts';
import { keyProblem, MAX_KEY_BYTES } from './keys.ts';
import { createLayout, errno, isDirectory, type Layout, pruneParents, refuseLinks } from './layout.ts';
import { listPage } from './list-cursor.ts';
import { current, fdBody, readRangeSync } from './reader.ts';
import type { Sidecar } from './sidecar.ts';

export interface FsObjectStoreOptions {
  /** Directory holding the objects; created on first write. Relative paths resolve against the cwd. */
  root: string;
  /**
   * fsync every written file and the directories whose entries changed before a write resolves:
   * the object survives power loss, at the cost of a disk flush per write. Without it a write is
   * still atomic (temp file + rename) and survives a process crash. Default false.
   */
  fsync?: boolean;
  /**
   * A per-key lock held longer than this is treated as abandoned by a crashed process and broken
   * (a lock whose holder pid is dead on this host is broken at once). Locks are held only for the
   * few syscalls of a commit. Default 10 000 ms.
   */
  lockStaleMs?: number;
  /**
   * Directory for sidecars (etag, content type, metadata) and lock files. Default: the hidden
   * sibling `.<root name>.cloudmux` of the root, outside it so that globs over the root see only
   * objects. Every process sharing a root must use the same state directory.
   */
  stateDir?: string;
  /** How long a write waits for another writer's lock before failing with Timeout. Default 30 000 ms. */
  lockWaitMs?: number;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const PROVIDER = 'local';

const CAPABILITIES: ObjectStoreCapabilities = {
  createOnly: true,
  compareAndSwap: true,
  rangeGet: true,
  userMetadata: true,
  listDelimiter: true,
  listStartAfter: true,
  copy: true,
  copyCreateOnly: true,
  // A file on disk has no server to present a signed URL to.
  presignGet: false,
  presignPut: false,
  multipartUpload: true,
};

/** Bodies up to this size are written with synchronous syscalls. */
const SYNC_WRITE_LIMIT = 64 * 1024;
/** Ranges up to this size are read with synchronous syscalls (a page-cache copy, no I/O wait). */
const SYNC_READ_LIMIT = 1024 * 1024;
/** Keys one deleteMany call takes (deleted one by one: each is its own lock and unlink). */
const DELETE_BATCH = 1000;

/** The portable ObjectStore over a directory. */
export function createFsObjectStore(options: FsObjectStoreOptions): ObjectStore {
  return portableObjectStore(createFsObjectStoreDriver(options), { meter: options.meter });
}

export function createFsObjectStoreDriver(options: FsObjectStoreOptions): ObjectStoreDriver {
  const layout = createLayout(options);
  const { root } = layout;

  const deleteOrTranslate = async (key: string) => {
    try {
      await deleteOne(layout, key);
    } catch (error) {
      throw layout.translate(error, 'delete', key, layout.dataPath(key));
    }
  };

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: {
      maxKeyBytes: MAX_KEY_BYTES,
      maxListPageSize: 1000,
      maxDeleteBatch: DELETE_BATCH,
      maxPresignSeconds: 0,
    },
    location: `${pathToFileURL(root).href}/`,
    keyProblem,
    errorCode: fsErrorCode,
    native: () => root,

    async put(key, body, put, call) {
      const sidecarFields: Pick<Sidecar, 't' | 'u'> = {};
      if (put.contentType !== undefined) sidecarFields.t = put.contentType;
      if (put.metadata !== undefined && Object.keys(put.metadata).length > 0) {
        sidecarFields.u = { ...put.metadata };
      }
      const stage: Stage =
        body instanceof Uint8Array && !layout.fsync && body.byteLength <= SYNC_WRITE_LIMIT
          ? (path) => stageBytesSync(layout, path, body)
          : (path) => stageStream(layout, path, body, call.signal);
      const result = await stageAndCommit(layout, key, stage, sidecarFields, put, 'put');
      call.report({ bytesIn: result.size });
      return result;
    },

    async get(key, range, call) {
      const { info, fd } = await current(layout, key, 'get', 'open');
      const fileFd = fd as number;
      let start = 0;
      let length = info.size;
      try {
        if (range) {
          if (range.offset >= info.size) {
            throw fail(
              'InvalidArgument',
              `range starts at ${range.offset}, beyond the object's ${info.size} bytes`,
            );
          }
          start = range.offset;
          // Like HTTP ranges, a length running past the end is cut at the end.
          length = Math.min(info.size - range.offset, range.length ?? Number.POSITIVE_INFINITY);
        }
        call.report({ bytesOut: length });
        if (length <= SYNC_READ_LIMIT) {
          const bytes = length === 0 ? new Uint8Array(0) : readRangeSync(fileFd, start, length);
          closeSync(fileFd);
          return { ...info, contentLength: length, body: bufferedBody(bytes) };
        }
      } catch (error) {
        closeSync(fileFd);
        throw layout.translate(error, 'get', key, layout.dataPath(key));
      }
      return { ...info, contentLength: length, body: fdBody(layout, fileFd, start, length) };
    },

    async head(key) {
      return (await current(layout, key, 'head', 'stat')).info;
    },

    list: (list) => listPage(layout, list),

    delete: deleteOrTranslate,

    async deleteMany(keys) {
      const outcomes: unknown[] = [];
      for (const key of keys) {
        try {
          await deleteOrTranslate(key);
          outcomes.push(undefined);
        } catch (error) {
          outcomes.push(error);
        }
      }
      return outcomes;
    },

    async copy(sourceKey, targetKey, copy) {
      const { info, fd, stat } = await current(layout, sourceKey, 'copy', 'open');
      const sidecarFields: Pick<Sidecar, 't' | 'u'> = {};
      if (info.contentType !== undefined) sidecarFields.t = info.contentType;
      if (info.metadata !== undefined) sidecarFields.u = info.metadata;
      const sourcePath = layout.dataPath(sourceKey);
      try {
        return await stageAndCommit(
          layout,
          targetKey,
          async (path) => {
            // copyFile can reflink; the open fd pins the source inode, so if the path still names
            // it afterwards the bytes copied are the ones whose etag and metadata were read.
            await copyFileIntoTmp(layout, sourcePath, path);
            const after = lstatSync(sourcePath, { bigint: true });
            if (after.ino !== stat.ino || after.mtimeNs !== stat.mtimeNs) {
              throw fail(
                'PreconditionFailed',
                `source key ${JSON.stringify(sourceKey)} changed during the copy`,
              );
            }
            const copied = statSync(path, { bigint: true });
            return { ino: copied.ino, size: Number(copied.size), mtimeNs: copied.mtimeNs };
          },
          sidecarFields,
          copy,
          'copy',
        );
      } finally {
        closeSync(fd as number);
      }
    },

    async presign() {
      // The portable type refuses presign first: this driver declares neither presign capability.
      throw fail('Unsupported', 'a file on disk has no server to present a signed URL to');
    },

    uriOf(key) {
      // A prefix ending in '/' names its directory (a warehouse may load a whole prefix).
      const isPrefix = key.endsWith('/') && key.length > 1;
      const name = isPrefix ? key.slice(0, -1) : key;
      const problem = keyProblem(name);
      if (problem) throw fail('InvalidArgument', `invalid key ${JSON.stringify(name)}: ${problem}`);
      // The URI is handed to other readers (DuckDB), which would follow a link wherever it leads.
      refuseLinks(layout, name);
      return `${pathToFileURL(layout.dataPath(name)).href}${isPrefix ? '/' : ''}`;
    },

    async close() {
      // Every fd is closed by the call or the body that owns it; only the lock owner file remains.
      layout.locks.close();
    },
  };
}

async function deleteOne(layout: Layout, key: string): Promise<void> {
  const release = await layout.locks.acquire(key);
  try {
    // Unlinking through a linked directory would remove a file outside the root.
    refuseLinks(layout, key);
    // Data first: readers then see no object rather than one stripped of its metadata; a crash in
    // between leaves an orphan sidecar that matches no data file.
    for (const path of [layout.dataPath(key), layout.metaPath(key)]) {
      try {
        unlinkSync(path);
      } catch (error) {
        const code = errno(error);
        // Missing, or a directory (other keys live under it): either way no object here.
        if (
          code !== 'ENOENT' &&
          code !== 'ENOTDIR' &&
          code !== 'EISDIR' &&
          !(code === 'EPERM' && isDirectory(path))
        ) {
          throw error;
        }
      }
    }
  } finally {
    release();
  }
  pruneParents(layout.metaPath(key), layout.metaDir);
  pruneParents(layout.dataPath(key), layout.root);
}
