/**
 * Reversible mapping of secret names into a service's name alphabet (Secret Manager ids
 * `[A-Za-z0-9_-]`, Key Vault names `[0-9a-zA-Z-]`, case-insensitive). One algorithm, parameterised
 * by alphabet, byte by byte over UTF-8: a byte of the kept set stays; the escape character becomes
 * `escapeSelf`; every other byte becomes the escape character plus two lower-case hex digits.
 *
 * Each byte maps on its own, so the mapped form of a prefix is a prefix of the mapped form, and
 * `list({ prefix })` can narrow by the mapped prefix. Decoding refuses anything the encoder cannot
 * have produced (a bare escape, upper-case hex, a needless escape, bytes that are not UTF-8), so
 * secrets made by other tools never show under a wrong name.
 */
export interface SecretNameAlphabet {
  /** Characters (ASCII) that stay as they are. */
  kept: RegExp;
  /** The escape character; never in `kept`. */
  escape: string;
  /** What the escape character itself becomes (default: escaped like any other byte). */
  escapeSelf?: string;
  /** The service compares names case-insensitively, so decoding folds case first. */
  caseInsensitive?: boolean;
}

export interface SecretNameCodec {
  encode(name: string): string;
  /** The original name, or undefined for a name the encoder cannot have produced. */
  decode(mapped: string): string | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const hex2 = (byte: number) => byte.toString(16).padStart(2, '0');

export function secretNameCodec(alphabet: SecretNameAlphabet): SecretNameCodec {
  const escapeByte = alphabet.escape.charCodeAt(0);
  const escapeSelf = alphabet.escapeSelf ?? `${alphabet.escape}${hex2(escapeByte)}`;
  const keeps = (ch: string) => alphabet.kept.test(ch);

  function encode(name: string): string {
    let out = '';
    for (const byte of new TextEncoder().encode(name)) {
      const ch = String.fromCharCode(byte);
      if (byte === escapeByte) out += escapeSelf;
      else out += byte < 0x80 && keeps(ch) ? ch : `${alphabet.escape}${hex2(byte)}`;
    }
    return out;
  }

  function decode(mapped: string): string | undefined {
    const text = alphabet.caseInsensitive ? mapped.toLowerCase() : mapped;
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch !== alphabet.escape) {
        if (!keeps(ch)) return undefined;
        bytes.push(ch.charCodeAt(0));
        continue;
      }
      if (text.startsWith(escapeSelf, i)) {
        bytes.push(escapeByte);
        i += escapeSelf.length - 1;
        continue;
      }
      const hex = text.slice(i + 1, i + 3);
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
    return encode(name) === text ? name : undefined;
  }

  return { encode, decode };
}
