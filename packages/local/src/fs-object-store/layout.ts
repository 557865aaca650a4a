/**
 * Where a filesystem store keeps what (see index.ts for the whole layout), and the small path
 * operations every part of it shares: parents made on demand, empty ones pruned, symbolic links
 * refused, and the errors that name a key that a directory tree cannot hold.
 */
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { CloudmuxError, DriverError } from '@cloudmux/core';
import { KeyLocks } from '../fs-key-lock.ts';
import { fail, translateFsError } from './errors.ts';
import { TMP_PREFIX } from './keys.ts';
import { createLinkGuard, type LinkGuard } from './links.ts';

export interface LayoutOptions {
  root: string;
  stateDir?: string | undefined;
  fsync?: boolean | undefined;
  lockStaleMs?: number | undefined;
  lockWaitMs?: number | undefined;
}

export interface Layout {
  /** The data tree: `<root>/<key>` is the object's bytes. */
  readonly root: string;
  /** Sidecars and locks, outside the root. */
  readonly stateDir: string;
  readonly metaDir: string;
  readonly fsync: boolean;
  readonly locks: KeyLocks;
  readonly links: LinkGuard;
  dataPath(key: string): string;
  metaPath(key: string): string;
  /** A fresh temp file name beside the key's data file. */
  tmpPath(key: string): string;
  /** What a caught error means (state-directory breakage named as such). */
  translate(
    error: unknown,
    operation: string,
    key: string | undefined,
    path: string,
  ): CloudmuxError | DriverError;
}

export function createLayout(options: LayoutOptions): Layout {
  const root = resolve(options.root);
  const stateDir = options.stateDir
    ? resolve(options.stateDir)
    : `${dirname(root)}/.${basename(root)}.cloudmux`;
  const metaDir = `${stateDir}/meta`;
  const tmpTag = `${TMP_PREFIX}${process.pid}-${randomUUID()}-`;
  let tmpCounter = 0;
  const dataPath = (key: string) => `${root}/${key}`;
  return {
    root,
    stateDir,
    metaDir,
    fsync: options.fsync ?? false,
    locks: new KeyLocks({
      dir: `${stateDir}/locks`,
      staleMs: options.lockStaleMs ?? 10_000,
      waitMs: options.lockWaitMs ?? 30_000,
    }),
    links: createLinkGuard(root),
    dataPath,
    metaPath: (key) => `${metaDir}/${key}`,
    // Beside the target: a rename within one directory does not take the filesystem-wide lock that
    // cross-directory renames serialize on (s_vfs_rename_mutex), so concurrent puts overlap.
    tmpPath: (key) => `${dirname(dataPath(key))}/${tmpTag}${tmpCounter++}`,
    translate: (error, operation, key, path) => translateFsError(error, operation, key, path, stateDir),
  };
}

export const errno = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | undefined)?.code;

export function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function linkError(key: string, link: string): DriverError {
  return fail(
    'PermissionDenied',
    link === key
      ? `key ${JSON.stringify(key)} is a symbolic link inside the store's root; links are never followed (they could lead outside the root)`
      : `key ${JSON.stringify(key)} lies below the symbolic link ${JSON.stringify(link)} inside the store's root; links are never followed (they could lead outside the root)`,
  );
}

/** Refuses a key whose path below the root passes through (or is) a symbolic link. */
export function refuseLinks(layout: Layout, key: string): void {
  const link = layout.links.linkOnPath(key);
  if (link !== undefined) throw linkError(key, link);
}

export const conflictAt = (layout: Layout, path: string) =>
  fail(
    'InvalidArgument',
    `${JSON.stringify(path.slice(layout.root.length + 1))} is below an existing object: a filesystem store cannot hold both 'a' and 'a/…'`,
  );

export const conflict = (key: string) =>
  fail(
    'InvalidArgument',
    `key ${JSON.stringify(key)} conflicts with an existing object: a filesystem store cannot hold both 'a' and 'a/…'`,
  );

/** mkdir -p of `path`'s parent, where a file in the way means the key cannot be held. */
function makeParent(layout: Layout, path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (mkdirError) {
    const code = errno(mkdirError);
    if (code === 'ENOTDIR' || code === 'EEXIST') throw conflictAt(layout, path);
    throw mkdirError;
  }
}

/** Runs `create`, creating the parent directory of `path` when missing (a delete may prune it). */
export async function withParent<T>(layout: Layout, path: string, create: () => T | Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (errno(error) === 'ENOTDIR') throw conflictAt(layout, path);
      if (errno(error) !== 'ENOENT' || attempt >= 5) throw error;
      makeParent(layout, path);
    }
  }
}

export function openTmpSync(layout: Layout, path: string): number {
  try {
    return openSync(path, 'wx');
  } catch (error) {
    if (errno(error) === 'ENOTDIR') throw conflictAt(layout, path);
    if (errno(error) !== 'ENOENT') throw error;
  }
  // Synchronous callers stay synchronous: the retry only creates the directory once.
  makeParent(layout, path);
  return openSync(path, 'wx');
}

/** The directories from `path`'s parent up to and including `base`. */
export function ancestors(path: string, base: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); dir.startsWith(base); dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === base) break;
  }
  return dirs;
}

export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes now-empty directories from `path`'s parent up to (excluding) `base`. */
export function pruneParents(path: string, base: string): void {
  for (let dir = dirname(path); dir.length > base.length && dir.startsWith(`${base}/`); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or already gone): the parents are not empty either
    }
  }
}
