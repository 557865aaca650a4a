/**
 * Secret Manager secret ids are `[A-Za-z0-9_-]{1,255}`, while core allows any secret name without
 * control characters (`pipeline/ingest/api-key`, `compare.run-1/api_key`). Names map into ids
 * deterministically and reversibly, byte by byte over UTF-8: `A`–`Z`, `a`–`z`, `0`–`9` and `-`
 * stay; every other byte — `_` itself included, as the escape character — becomes `_` plus two
 * lower-case hex digits. `db-password` → `db-password`, `pipeline/api_key` → `pipeline_2fapi_5fkey`.
 *
 * Escaping `_` keeps the mapping injective (`a/b` → `a_2fb`, `a_2fb` → `a_5f2fb`), and since each
 * byte maps on its own, the id of a prefix is a prefix of the id, so `list({ prefix })` can narrow
 * by the mapped prefix.
 */

/** Secret Manager's limit on a secret id. */
export const MAX_SECRET_ID = 255;

const KEPT = /^[A-Za-z0-9-]$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function toSecretId(name: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(name)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && KEPT.test(ch) ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Inverse of toSecretId; undefined for ids the mapping cannot have produced (a bare `_`, upper-case
 * hex, bytes that are not UTF-8), so secrets made by other tools never show under a wrong name.
 */
export function fromSecretId(id: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < id.length; i++) {
    const ch = id[i] as string;
    if (ch !== '_') {
      if (!KEPT.test(ch)) return undefined;
      bytes.push(ch.charCodeAt(0));
      continue;
    }
    const hex = id.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  let name: string;
  try {
    name = strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  // An escaped byte that needed no escaping (`_41` for `A`) would give a second id for one name.
  return toSecretId(name) === id ? name : undefined;
}
