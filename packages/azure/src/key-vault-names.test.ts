import { describe, expect, it } from 'vitest';
import { fromVaultName, toVaultName } from './key-vault-secret-store.ts';

const KEY_VAULT_NAME = /^[0-9a-zA-Z-]{1,127}$/;

describe('Key Vault name mapping', () => {
  it('keeps lower-case letters and digits, doubles hyphens, hex-escapes everything else', () => {
    expect(toVaultName('db2')).toBe('db2');
    expect(toVaultName('db-password')).toBe('db--password');
    expect(toVaultName('App/Key_1')).toBe('-41pp-2f-4bey-5f1');
    expect(toVaultName('ключ')).toBe('-d0-ba-d0-bb-d1-8e-d1-87');
  });

  it('round-trips, stays in the Key Vault alphabet, and keeps names that differ only in case apart', () => {
    const names = ['a', 'A', 'a-b', 'a--b', 'a-2d', 'x/y.z', 'Ünïcødé 🔑', '-', '--', 'cmx-list-abc-a'];
    const mapped = names.map(toVaultName);
    for (const [i, name] of names.entries()) {
      expect(mapped[i]).toMatch(KEY_VAULT_NAME);
      expect(fromVaultName(mapped[i]!)).toBe(name);
    }
    // Key Vault compares names case-insensitively: the mapped names must differ even then.
    expect(new Set(mapped.map((m) => m.toLowerCase())).size).toBe(names.length);
  });

  it('preserves prefixes, so listing by prefix can filter on mapped names', () => {
    expect(toVaultName('team-a-db').startsWith(toVaultName('team-a'))).toBe(true);
  });

  it('rejects names the mapping cannot have produced', () => {
    expect(fromVaultName('bad-zz')).toBeUndefined();
  });
});
