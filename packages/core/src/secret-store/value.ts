import { inspect } from 'node:util';

const REDACTED = '[redacted secret]';

/**
 * A secret's value. It prints, stringifies and serialises as `[redacted secret]`; only `reveal()`
 * and `bytes()` hand out the plaintext, so it cannot leak into logs, errors or reports by accident.
 */
export class SecretValue {
  readonly #bytes: Uint8Array;
  readonly name: string;
  readonly version: string;
  readonly createdAt: Date | undefined;

  constructor(name: string, version: string, value: string | Uint8Array, createdAt?: Date) {
    this.name = name;
    this.version = version;
    // new Uint8Array(…) copies; Buffer#slice would share memory with the caller's buffer.
    this.#bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
    this.createdAt = createdAt;
  }

  /** The plaintext as UTF-8 text. */
  reveal(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  /** The plaintext bytes (a copy). */
  bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, version: this.version, value: REDACTED };
  }

  [inspect.custom](): string {
    return `SecretValue(${this.name}@${this.version}: ${REDACTED})`;
  }
}

/** Removes every occurrence of the given secret plaintexts from a text (for log and error scrubbing). */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}
