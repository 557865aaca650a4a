import { scrubSecrets } from '@cloudmux/core';
import { prettyFactory } from 'pino-pretty';

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

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines for programs, one human-readable line per event for people. Kept in the environment
 * (like quiet) so the consumer processes, which share this stderr, write in the same format.
 */
export function setLogFormat(format: LogFormat): void {
  process.env.PIPELINE_LOG_FORMAT = format;
}

/** The chosen format, else JSON unless stderr is a terminal. */
export function logFormat(): LogFormat {
  const chosen = process.env.PIPELINE_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

/** Where finished lines go: stderr, or a progress display that prints them above its bars. */
let sink: (line: string) => void = (line) => process.stderr.write(line);

/** Routes log lines through `write` (e.g. a MultiBar's `log`) until called with undefined. */
export function setLogSink(write: ((line: string) => void) | undefined): void {
  sink = write ?? ((line) => process.stderr.write(line));
}

/** A line another process already formatted (a consumer's stderr), passed on the same way. */
export function writeLogLine(line: string): void {
  sink(`${line}\n`);
}

let pretty: ((record: Record<string, unknown>) => string) | undefined;

function prettyLine(record: Record<string, unknown>): string {
  pretty ??= prettyFactory({
    colorize: process.stderr.isTTY === true,
    messageKey: 'event',
    customLevels: 'debug:20,info:30,warn:40,error:50',
    translateTime: 'SYS:HH:MM:ss',
    singleLine: true,
  });
  return pretty(record);
}

/** One log line on stderr (JSON or human-readable, see logFormat), so stdout stays clean for `--json`. */
export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  if (process.env.PIPELINE_QUIET === '1' && level !== 'error' && level !== 'warn') return;
  const record = { time: new Date().toISOString(), level, event, ...fields };
  const line = logFormat() === 'json' ? `${JSON.stringify(record)}\n` : prettyLine(record);
  sink(scrubSecrets(line, knownSecrets));
}
