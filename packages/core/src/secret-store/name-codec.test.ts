import { describe, expect, it } from 'vitest';
import { secretNameCodec } from './name-codec.ts';

// The two alphabets the cloud drivers use (Secret Manager ids, Key Vault names).
const underscore = secretNameCodec({ kept: /^[A-Za-z0-9-]$/, escape: '_' });
const dash = secretNameCodec({ kept: /^[a-z0-9]$/, escape: '-', escapeSelf: '--', caseInsensitive: true });

describe('secretNameCodec', () => {
  const names = ['a/b', 'a-b', 'a.b', 'a_b', 'A_b', 'a_2fb', 'a-2fb', 'a_5f2fb', 'a--b', '-', '_', 'ключ 🔑'];

  it('round trips and keeps distinct names distinct in both alphabets', () => {
    for (const codec of [underscore, dash]) {
      const mapped = names.map((name) => codec.encode(name));
      expect(new Set(mapped).size).toBe(names.length);
      for (const [i, name] of names.entries()) expect(codec.decode(mapped[i] as string)).toBe(name);
    }
  });

  it('maps a prefix to a prefix of the mapping', () => {
    for (const codec of [underscore, dash]) {
      expect(codec.encode('team/a-db.x').startsWith(codec.encode('team/a-'))).toBe(true);
    }
  });

  it('refuses what the encoder cannot have produced', () => {
    for (const bad of ['a_', 'a_zz', 'a_2F', '_41', 'a.b', '_ff'])
      expect(underscore.decode(bad), bad).toBeUndefined();
    for (const bad of ['a-', 'a-zz', '-2d', '-61', 'a_b']) expect(dash.decode(bad), bad).toBeUndefined();
  });

  it('decodes case-insensitively where the service compares names that way', () => {
    expect(dash.decode(dash.encode('App/Key').toUpperCase())).toBe('App/Key');
    expect(underscore.decode('AB')).toBe('AB');
  });
});
