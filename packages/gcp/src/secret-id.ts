import { secretNameCodec } from '@cloudmux/core';

/**
 * Secret Manager secret ids are `[A-Za-z0-9_-]{1,255}`, while core allows any secret name without
 * control characters (`pipeline/ingest/api-key`, `compare.run-1/api_key`). Names map into ids
 * deterministically and reversibly, byte by byte over UTF-8: `A`–`Z`, `a`–`z`, `0`–`9` and `-`
 * stay; every other byte — `_` itself included, as the escape character — becomes `_` plus two
 * lower-case hex digits (core's `secretNameCodec`, shared with Key Vault's alphabet). `db-password` → `db-password`, `pipeline/api_key` → `pipeline_2fapi_5fkey`.
 *
 * Escaping `_` keeps the mapping injective (`a/b` → `a_2fb`, `a_2fb` → `a_5f2fb`), and since each
 * byte maps on its own, the id of a prefix is a prefix of the id, so `list({ prefix })` can narrow
 * by the mapped prefix.
 */

/** Secret Manager's limit on a secret id. */
export const MAX_SECRET_ID = 255;

const codec = secretNameCodec({ kept: /^[A-Za-z0-9-]$/, escape: '_' });

export const toSecretId = (name: string): string => codec.encode(name);

/**
 * Inverse of toSecretId; undefined for ids the mapping cannot have produced (a bare `_`, upper-case
 * hex, bytes that are not UTF-8), so secrets made by other tools never show under a wrong name.
 */
export const fromSecretId = (id: string): string | undefined => codec.decode(id);
