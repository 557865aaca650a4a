import { readdir } from 'node:fs/promises';
import { compareUtf8, TMP_PREFIX } from './keys.ts';

/**
 * Where a listing resumes. Read again before every entry, so the caller can move it forward while
 * iterating (after a common prefix, everything under it is skipped without being walked).
 */
export interface WalkCursor {
  /** Exclusive lower bound: only keys strictly after this one. */
  after?: string;
  /** Skip every key that starts with this (a common prefix already returned). */
  skipUnder?: string;
}

/**
 * Yields the keys under `root` that start with `prefix`, in UTF-8 byte order, lazily: directory
 * entries are sorted with a trailing `/` on directories, so a depth-first walk meets keys in
 * exactly the order a sorted list of full keys has (`a-b` before `a/x`). Subtrees wholly before
 * the cursor or outside the prefix are never read.
 */
export async function* walkKeys(
  root: string,
  prefix: string,
  cursor: WalkCursor,
  dirRel = '',
): AsyncGenerator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dirRel ? `${root}/${dirRel}` : root, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A directory removed by a concurrent delete (or a root not created yet) holds no keys.
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw error;
  }
  const children: Array<{ path: string; dir: boolean }> = [];
  for (const entry of entries) {
    // Symlinks are never followed (they could point out of the root); other types are not objects.
    const dir = entry.isDirectory();
    if (!dir && !entry.isFile()) continue;
    if (entry.name.includes('\\') || entry.name.startsWith(TMP_PREFIX)) continue;
    children.push({ path: dir ? `${dirRel}${entry.name}/` : `${dirRel}${entry.name}`, dir });
  }
  children.sort((x, y) => compareUtf8(x.path, y.path));
  for (const child of children) {
    if (!inPrefix(child.path, child.dir, prefix)) continue;
    if (cursor.skipUnder && child.path.startsWith(cursor.skipUnder)) continue;
    if (child.dir) {
      if (cursor.after && compareUtf8(child.path, cursor.after) < 0 && !cursor.after.startsWith(child.path)) {
        continue;
      }
      yield* walkKeys(root, prefix, cursor, child.path);
    } else {
      if (cursor.after && compareUtf8(child.path, cursor.after) <= 0) continue;
      yield child.path;
    }
  }
}

function inPrefix(path: string, dir: boolean, prefix: string): boolean {
  if (path.startsWith(prefix)) return true;
  return dir && prefix.startsWith(path);
}
