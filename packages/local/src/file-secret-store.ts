/**
 * The embedded SecretStore: one directory per secret, one encrypted file per version.
 *
 * Each version file is core's sealed secret format (`sealSecretVersion`: AES-256-GCM, name and
 * version bound as additional data, a key id beside the ciphertext), the same format the
 * self-hosted provider stores on its S3-compatible server. Versions are claimed with
 * `link()`, which fails when the target exists, so concurrent writers in several processes each get
 * their own version and a reader never sees a half-written file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CloudmuxError,
  DriverError,
  type ErrorCode,
  type Meter,
  openSecretVersion,
  parseSecretKey,
  portableSecretStore,
  reportUsage,
  type SealedSecretVersion,
  type SecretKey,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  type SecretStoreDriver,
  type SecretStoreLimits,
  sealSecretVersion,
} from '@cloudmux/core';
import { storageError } from './storage-errors.ts';

export interface FileSecretStoreOptions {
  /** Directory holding one sub-directory per secret. Created on first write. */
  dir: string;
  /** The 32-byte key as base64 or 64 hex digits (usually from an environment variable). */
  key?: string | undefined;
  /**
   * Key file read when `key` is absent; created with a random key (mode 0600) when missing and the
   * store holds no secrets yet. Missing while secrets exist is PreconditionFailed, never a new key.
   */
  keyFile: string;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const PROVIDER = 'local';
const VERSION_FILE = /^v(\d{12})\.json$/;
/** Hex-encoded names longer than this are hashed to stay under the 255-byte file name limit. */
const MAX_HEX_NAME = 240;

export const fileSecretStoreCapabilities: SecretStoreCapabilities = {
  versions: true,
  getVersion: true,
  listVersions: true,
  binaryValues: true,
  softDelete: false,
};

/**
 * The same 64 KiB as Secrets Manager and Secret Manager allow, so a value that works locally works
 * on those clouds too (Key Vault allows less).
 */
export const FILE_SECRET_STORE_LIMITS: SecretStoreLimits = { maxValueBytes: 65_536 };

/** A code this driver decides; the portable SecretStore writes the message around `detail`. */
function fail(code: ErrorCode, _operation: string, detail: string, cause?: unknown): DriverError {
  return new DriverError(code, { detail, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Translates an fs error on `path` (named when the error carries no path of its own); the
 * secret's value is never part of any message, only paths.
 */
function fsError(operation: string, error: unknown, path: string): CloudmuxError | DriverError {
  if (CloudmuxError.isInstance(error)) return error;
  const storage = storageError(error, { resource: 'secretStore', operation, path });
  if (storage) return storage;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EBUSY') {
    return fail('Unavailable', operation, `secret store file busy: ${path} (${code})`, error);
  }
  return fail('Internal', operation, `secret store I/O failed at ${path} (${code ?? 'unknown'})`, error);
}

/** The directory name of a secret: hex of its UTF-8 bytes (reversible, no separators, case-safe). */
function secretDirName(name: string): string {
  const hex = Buffer.from(name, 'utf8').toString('hex');
  return hex.length <= MAX_HEX_NAME ? hex : `h-${createHash('sha256').update(name).digest('hex')}`;
}

function versionFileName(version: number): string {
  return `v${String(version).padStart(12, '0')}.json`;
}

/**
 * Writes a temp file and flushes it to disk, for the caller to link into place: the linked name then
 * never shows a torn or empty file, even after a power loss. Secrets are written rarely, so the
 * fsync is cheap here, and losing the key file would lose every secret.
 */
async function writeTemp(dir: string, data: string): Promise<string> {
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Makes a new directory entry (a linked file, a created directory) durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the entry is then as durable as they make it.
    if (
      (error as NodeJS.ErrnoException).code !== 'EINVAL' &&
      (error as NodeJS.ErrnoException).code !== 'EISDIR'
    )
      throw error;
  } finally {
    await handle.close();
  }
}

/** The embedded secret store: the portable SecretStore over the encrypted-file driver. */
export function createFileSecretStore(options: FileSecretStoreOptions): SecretStore {
  return portableSecretStore(createFileSecretStoreDriver(options), { meter: options.meter });
}

export function createFileSecretStoreDriver(options: FileSecretStoreOptions): SecretStoreDriver {
  let keyPromise: Promise<SecretKey> | undefined;

  const loadKey = (): Promise<SecretKey> => {
    keyPromise ??= (async () => {
      return options.key ? parseSecretKey(options.key, 'secretStore.key') : await readOrCreateKeyFile();
    })();
    // A failed load is not cached: the next call may find the file fixed.
    keyPromise.catch(() => {
      keyPromise = undefined;
    });
    return keyPromise;
  };

  async function readOrCreateKeyFile(): Promise<SecretKey> {
    try {
      return parseSecretKey(await readFile(options.keyFile, 'utf8'), options.keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fsError('loadKey', error, options.keyFile);
    }
    // A new key cannot decrypt what the lost one encrypted: creating one would hide the loss
    // until every read failed with a key mismatch.
    const existing = await storedSecretCount();
    if (existing > 0) {
      // A writer in another process links its key before it writes its first secret, so secrets
      // seen now mean its key is there now, unless the key file was really lost: read it again.
      const raced = await readFile(options.keyFile, 'utf8').catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fsError('loadKey', error, options.keyFile);
      });
      if (raced !== undefined) return parseSecretKey(raced, options.keyFile);
      throw fail(
        'PreconditionFailed',
        'loadKey',
        `the secret store key file ${options.keyFile} is missing, but ${options.dir} holds ${existing} secret(s) ` +
          'encrypted with it, so no new key is created. Restore the key file from a backup (mode 0600), ' +
          'or set the key in the environment variable named by secretStore.keyEnv (default ' +
          'CLOUDMUX_SECRET_KEY); to discard the old secrets instead, ' +
          `delete ${options.dir}.`,
      );
    }
    let temp: string;
    try {
      await mkdir(dirname(options.keyFile), { recursive: true });
      temp = await writeTemp(dirname(options.keyFile), `${randomBytes(32).toString('base64')}\n`);
    } catch (error) {
      throw fsError('loadKey', error, options.keyFile);
    }
    try {
      // link fails if another process created the key first; then its key is the one to use.
      await link(temp, options.keyFile);
      await syncDir(dirname(options.keyFile));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw fsError('loadKey', error, options.keyFile);
    } finally {
      await unlink(temp).catch(() => {});
    }
    const text = await readFile(options.keyFile, 'utf8').catch((error: unknown) => {
      throw fsError('loadKey', error, options.keyFile);
    });
    return parseSecretKey(text, options.keyFile);
  }

  /** Secrets with at least one version on disk (dot entries are temp files and tombstones). */
  async function storedSecretCount(): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw fsError('loadKey', error, options.dir);
    }
    let count = 0;
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      if ((await readdirSafe(join(options.dir, entry))).some((file) => VERSION_FILE.test(file))) count++;
    }
    return count;
  }

  const secretDir = (name: string) => join(options.dir, secretDirName(name));

  async function versionNumbers(name: string, operation: string): Promise<number[]> {
    let entries: string[];
    try {
      entries = await readdir(secretDir(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fsError(operation, error, options.dir);
    }
    const numbers: number[] = [];
    for (const entry of entries) {
      const match = VERSION_FILE.exec(entry);
      if (match) numbers.push(Number(match[1]));
    }
    return numbers.sort((a, b) => b - a);
  }

  async function readSealedSecretVersion(
    name: string,
    version: number,
    operation: string,
  ): Promise<SealedSecretVersion> {
    try {
      return JSON.parse(
        await readFile(join(secretDir(name), versionFileName(version)), 'utf8'),
      ) as SealedSecretVersion;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw fail('NotFound', operation, `secret '${name}' has no version ${version}`, error);
      }
      if (error instanceof SyntaxError) {
        throw fail('Internal', operation, `secret '${name}' version ${version} is corrupted`, error);
      }
      throw fsError(operation, error, options.dir);
    }
  }

  const parseVersion = (name: string, version: string, operation: string): number => {
    if (!/^\d{1,12}$/.test(version) || Number(version) < 1) {
      throw fail('NotFound', operation, `secret '${name}' has no version '${version}'`);
    }
    return Number(version);
  };

  async function put(name: string, value: string | Uint8Array): Promise<string> {
    const key = await loadKey();
    const plaintext = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    const dir = secretDir(name);
    // Retries cover losing a version number to a concurrent writer, or the directory to a concurrent delete.
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dir, { recursive: true });
        const next = ((await versionNumbers(name, 'put'))[0] ?? 0) + 1;
        const version = String(next);
        const file = sealSecretVersion(key, name, version, plaintext);
        const temp = await writeTemp(dir, JSON.stringify(file));
        try {
          await link(temp, join(dir, versionFileName(next)));
        } finally {
          await unlink(temp).catch(() => {});
        }
        await syncDir(dir);
        if (next === 1) await syncDir(options.dir);
        reportUsage({ bytesIn: plaintext.length });
        return version;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'EEXIST' || code === 'ENOENT') && attempt < 100) continue;
        throw fsError('put', error, options.dir);
      }
    }
  }

  return {
    provider: PROVIDER,
    capabilities: fileSecretStoreCapabilities,
    limits: FILE_SECRET_STORE_LIMITS,
    secretNameProblem: () => undefined,
    valueSize: (_value, bytes) => bytes.byteLength,
    // Everything this driver throws is already a DriverError or a storage CloudmuxError.
    errorCode: () => 'Internal',
    native: () => undefined,

    put,

    async get(name, wanted) {
      const key = await loadKey();
      let version: number;
      if (wanted !== undefined) {
        version = parseVersion(name, wanted, 'get');
      } else {
        const latest = (await versionNumbers(name, 'get'))[0];
        if (latest === undefined) throw fail('NotFound', 'get', `secret '${name}' does not exist`);
        version = latest;
      }
      const file = await readSealedSecretVersion(name, version, 'get');
      const plaintext = openSecretVersion(key, file, name, String(version));
      reportUsage({ bytesOut: plaintext.length });
      // SecretValue copies the bytes; the decrypted buffer is wiped once it has.
      const value = new Uint8Array(plaintext);
      plaintext.fill(0);
      return { version: String(version), value, createdAt: new Date(file.createdAt) };
    },

    async listVersions(name) {
      const items = [];
      for (const number of await versionNumbers(name, 'listVersions')) {
        const file = await readSealedSecretVersion(name, number, 'listVersions');
        items.push({
          version: file.version,
          createdAt: new Date(file.createdAt),
          enabled: true,
          order: [number],
        });
      }
      return { items };
    },

    async list(prefix) {
      let entries: string[];
      try {
        entries = await readdir(options.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { items: [] };
        throw fsError('list', error, options.dir);
      }
      const found: SecretListEntry[] = [];
      for (const entry of entries) {
        if (entry.startsWith('.')) continue;
        const hashed = entry.startsWith('h-');
        let name = hashed ? undefined : Buffer.from(entry, 'hex').toString('utf8');
        if (name !== undefined && !name.startsWith(prefix)) continue;
        // The oldest version carries the name (for hashed directories) and the creation time.
        const oldest = (await readdirSafe(join(options.dir, entry)))
          .map((f) => VERSION_FILE.exec(f)?.[1])
          .filter((n): n is string => n !== undefined)
          .sort()[0];
        if (oldest === undefined) continue;
        let file: SealedSecretVersion;
        try {
          file = JSON.parse(
            await readFile(join(options.dir, entry, `v${oldest}.json`), 'utf8'),
          ) as SealedSecretVersion;
        } catch (error) {
          // Deleted between readdir and read.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw fsError('list', error, options.dir);
        }
        name ??= file.name;
        if (!name.startsWith(prefix)) continue;
        found.push({ name, createdAt: new Date(file.createdAt) });
      }
      return { items: found };
    },

    async delete(name) {
      const dir = secretDir(name);
      // Rename first so the secret disappears at once, even if removing its files is interrupted.
      const tomb = join(options.dir, `.deleted-${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        await rename(dir, tomb);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw fail('NotFound', 'delete', `secret '${name}' does not exist`);
        }
        throw fsError('delete', error, options.dir);
      }
      await rm(tomb, { recursive: true, force: true }).catch((error: unknown) => {
        throw fsError('delete', error, options.dir);
      });
    },

    async close() {},
  };
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return [];
    throw fsError('list', error, dir);
  }
}
