/**
 * Symbolic links inside the object store's root are never followed: a link there (put by hand or
 * by another tool) could point anywhere, and following it would let `get` read `/etc/passwd` or
 * `put`/`delete` write and remove files outside the root. The root itself may be a link (its real
 * path is resolved once); only what lies below it is checked.
 *
 * Reads open the file with O_NOFOLLOW and then ask the kernel where the open file really is
 * (`/proc/self/fd`), which no rename race can fool. Writes and deletes check the path with lstat
 * before they stage anything (so no directory or temp file is made through a link) and again
 * under the key's lock right before the rename or unlink; what remains is a window of a few
 * syscalls in which only a process already able to write into the root could swap a directory.
 */
import { constants, lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';

/** open(2) flags of a read that refuses a symbolic link as the final component (ELOOP). */
export const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

export interface LinkGuard {
  /**
   * The first path below the root, on the way to `relative` (and `relative` itself), that is a
   * symbolic link; undefined when there is none. Parts that do not exist yet hold no link.
   */
  linkOnPath(relative: string): string | undefined;
  /**
   * For a file opened (with O_NOFOLLOW) at `relative`: the link it was reached through, or
   * `relative` itself when the open file lies outside the root; undefined when it is where the
   * path says.
   */
  openedThroughLink(fd: number, relative: string): string | undefined;
}

export function createLinkGuard(root: string): LinkGuard {
  let realRoot: string | undefined;
  let procFd = true;

  /** The root's real path, once it exists (before that nothing below it can be a link). */
  function realRootPath(): string | undefined {
    if (realRoot !== undefined) return realRoot;
    try {
      realRoot = realpathSync.native(root);
    } catch {
      return undefined;
    }
    return realRoot;
  }

  function linkOnPath(relative: string): string | undefined {
    let end = relative.indexOf('/');
    for (;;) {
      const part = end < 0 ? relative : relative.slice(0, end);
      let stat: Stats | undefined;
      try {
        // No exception for a missing entry: new keys meet one on every put, and an Error costs more
        // than the lstat itself.
        stat = lstatSync(`${root}/${part}`, { throwIfNoEntry: false });
      } catch {
        return undefined; // below a file (ENOTDIR): the operation itself will say so
      }
      // Missing: nothing further down exists to be a link.
      if (stat === undefined) return undefined;
      if (stat.isSymbolicLink()) return part;
      if (end < 0 || !stat.isDirectory()) return undefined;
      end = relative.indexOf('/', end + 1);
    }
  }

  /** Where an open file is, per the kernel; undefined where /proc is not mounted. */
  function pathOfFd(fd: number): string | undefined {
    if (!procFd) return undefined;
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      procFd = false;
      return undefined;
    }
  }

  return {
    linkOnPath,
    openedThroughLink(fd, relative) {
      const actual = pathOfFd(fd);
      const base = realRootPath();
      if (actual === undefined || base === undefined) return linkOnPath(relative);
      if (actual === `${base}/${relative}`) return undefined;
      const link = linkOnPath(relative);
      if (link !== undefined) return link;
      // No link on the path now: the file was renamed or replaced after the open (the kernel
      // then reports its new name, or ' (deleted)'), which is harmless while it stayed inside.
      return actual.startsWith(`${base}/`) ? undefined : relative;
    },
  };
}
