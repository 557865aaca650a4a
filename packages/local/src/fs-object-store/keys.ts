/**
 * Which object keys the filesystem store accepts and in what order it lists them. A key is a
 * relative path under the root: the portable rules (non-empty, no control characters, no `.` or
 * `..` segment, `MAX_KEY_BYTES`) already keep it inside the root; what a directory tree cannot
 * represent is refused here.
 */

/** Temp files sit beside their target under this name prefix; no key segment may use it. */
export const TMP_PREFIX = '.cloudmux-tmp-';

export const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/** Why `key` is not a valid object key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'a key must be a non-empty string';
  // The portable rules refuse these first; checked again because a driver called directly must
  // still never resolve a path outside its root.
  if (key.includes('\0')) return 'a key must not contain NUL';
  // A backslash is a path separator on Windows: rejecting it keeps keys portable and unambiguous.
  if (key.includes('\\')) return 'a key must not contain a backslash';
  if (key.startsWith('/')) return 'a key must be relative (no leading /)';
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') return 'a key must not contain empty segments (// or a trailing /)';
    if (segment === '.' || segment === '..') return "a key must not contain '.' or '..' segments";
    if (segment.startsWith(TMP_PREFIX))
      return `key segments starting with ${TMP_PREFIX} are reserved for temp files`;
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `each /-separated segment of a key is at most ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return undefined;
}

/**
 * Orders strings by their UTF-8 bytes, as S3, GCS and Azure list keys. Plain `<` compares UTF-16
 * code units, which puts astral characters (surrogate pairs) before U+E000–U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate && (x >= 0xe000 || y >= 0xe000)) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
