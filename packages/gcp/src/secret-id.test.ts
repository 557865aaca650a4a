import { describe, expect, it } from 'vitest';
import { fromSecretId, toSecretId } from './secret-id.ts';

const ID = /^[A-Za-z0-9_-]+$/;

describe('secret name ↔ Secret Manager id mapping', () => {
  it('keeps names already in the id alphabet (minus `_`) unchanged', () => {
    expect(toSecretId('db-password')).toBe('db-password');
    expect(toSecretId('Db-Password-2')).toBe('Db-Password-2');
  });

  it('escapes `/`, `.`, `_` and every other byte as `_` plus lower-case hex', () => {
    expect(toSecretId('pipeline/api_key')).toBe('pipeline_2fapi_5fkey');
    expect(toSecretId('compare.run-1/api_key')).toBe('compare_2erun-1_2fapi_5fkey');
    expect(toSecretId('é')).toBe('_c3_a9');
  });

  it('is injective on names that a lossy or naive mapping would merge', () => {
    const names = ['a/b', 'a-b', 'a.b', 'a_b', 'A_b', 'ab', 'Ab', 'a_2fb', 'a-2fb', 'a_5f2fb', 'a--b', 'a b'];
    const ids = names.map(toSecretId);
    expect(new Set(ids).size).toBe(names.length);
    for (const id of ids) expect(id).toMatch(ID);
  });

  it('round trips unicode, including astral characters and combining marks', () => {
    for (const name of ['pässwörd/秘密', 'ключ 🔑', 'e\u0301\u200d', 'x_y/z.w@host+1=2', '_', '__5f']) {
      const id = toSecretId(name);
      expect(id).toMatch(ID);
      expect(fromSecretId(id)).toBe(name);
    }
  });

  it('maps a name prefix to a prefix of the id, so prefix listing can narrow by it', () => {
    const name = 'pipeline/ingest/api_key';
    expect(toSecretId(name).startsWith(toSecretId('pipeline/ingest/'))).toBe(true);
  });

  it('rejects ids the mapping cannot have produced', () => {
    expect(fromSecretId('a_b')).toBeUndefined(); // bare escape character
    expect(fromSecretId('a_2F')).toBeUndefined(); // upper-case hex
    expect(fromSecretId('_41')).toBeUndefined(); // escaped byte that needs no escaping
    expect(fromSecretId('_ff')).toBeUndefined(); // not UTF-8
    expect(fromSecretId('a.b')).toBeUndefined(); // outside the id alphabet
  });
});
