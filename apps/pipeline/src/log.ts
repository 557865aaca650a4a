import { scrubSecrets } from '@cloudmux/core';

/** Secret plaintexts this process knows; every log line is scrubbed of them. */
const knownSecrets = new Set<string>();

export function registerSecret(value: string): void {
  knownSecrets.add(value);
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Quiet keeps only warnings and errors; kept in the environment so consumer processes inherit it. */
export function setQuiet(value: boolean): void {
  if (value) process.env.PIPELINE_QUIET = '1';
  else delete process.env.PIPELINE_QUIET;
}

/** Structured log line (JSON) on stderr, so stdout stays clean for `--json`. */
export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  if (process.env.PIPELINE_QUIET === '1' && level !== 'error' && level !== 'warn') return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  process.stderr.write(`${scrubSecrets(line, knownSecrets)}\n`);
}
