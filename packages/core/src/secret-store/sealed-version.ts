/**
 * The one at-rest format of secret versions that cloudmux encrypts itself: the local provider's
 * files (`@cloudmux/local` file secret store) and the self-hosted provider's objects on an
 * S3-compatible server (`@cloudmux/selfhosted`). Both stores write and read exactly this JSON, so a
 * version can be moved between them with the same key.
 *
 * Each version is AES-256-GCM with a fresh 12-byte IV; the secret's name and version are bound as
 * additional authenticated data, so a file copied under another name or version fails to decrypt
 * instead of yielding the wrong secret. A short key id (an HMAC of a constant, not the key) stored
 * beside the ciphertext tells "wrong key" apart from "file corrupted".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { DriverError } from '../portable/errors.ts';

export const SEALED_SECRET_FORMAT = 1;

/** One stored version, as JSON. */
export interface SealedSecretVersion {
  format: number;
  name: string;
  version: string;
  createdAt: string;
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** A 32-byte key and its public id. */
export interface SecretKey {
  bytes: Buffer;
  id: string;
}

/**
 * The key from its text form (base64 or 64 hex digits); a ConfigError naming `source` (the option,
 * environment variable or file it came from) otherwise. The key itself never appears in the error.
 */
export function parseSecretKey(text: string, source: string): SecretKey {
  const trimmed = text.trim();
  const hex = /^[0-9a-fA-F]{64}$/.test(trimmed);
  const bytes = hex ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32 || (!hex && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed))) {
    throw new ConfigError({
      field: source,
      problem: 'the secret store key must be 32 bytes, written as base64 or 64 hex digits',
      fix: 'generate one with `openssl rand -base64 32`',
    });
  }
  return {
    bytes,
    id: createHmac('sha256', bytes).update('cloudmux-secret-key-id').digest('hex').slice(0, 16),
  };
}

function aad(name: string, version: string): Buffer {
  return Buffer.from(`cloudmux-secret\0${SEALED_SECRET_FORMAT}\0${name}\0${version}`, 'utf8');
}

/** Encrypts one version of `name` under `key`. */
export function sealSecretVersion(
  key: SecretKey,
  name: string,
  version: string,
  plaintext: Uint8Array,
  createdAt = new Date(),
): SealedSecretVersion {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(aad(name, version));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    format: SEALED_SECRET_FORMAT,
    name,
    version,
    createdAt: createdAt.toISOString(),
    keyId: key.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/**
 * Decrypts a version, authenticated against the name and version asked for, so a version stored
 * under another name fails. A key mismatch is PermissionDenied, tampering or corruption Internal;
 * neither message carries the value. The caller wipes the returned buffer once it has copied it.
 */
export function openSecretVersion(
  key: SecretKey,
  sealed: SealedSecretVersion,
  name: string,
  version: string,
): Buffer {
  if (sealed.keyId !== key.id) {
    throw new DriverError('PermissionDenied', {
      detail: `cannot decrypt secret '${name}': the key does not match the key it was encrypted with`,
    });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(aad(name, version));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } catch (cause) {
    throw new DriverError('Internal', {
      detail: `cannot decrypt secret '${name}' version ${version}: the stored version was modified or corrupted`,
      cause,
    });
  }
}

/** Parses a stored version; corrupt JSON is Internal (never echoing the text). */
export function parseSealedSecretVersion(text: string, name: string, version: string): SealedSecretVersion {
  try {
    return JSON.parse(text) as SealedSecretVersion;
  } catch (cause) {
    throw new DriverError('Internal', { detail: `secret '${name}' version ${version} is corrupted`, cause });
  }
}
