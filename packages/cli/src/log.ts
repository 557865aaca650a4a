import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * JSON lines when asked (`--json`) or when the output is read by a program (stdout not a TTY);
 * otherwise pino-pretty's human-readable lines. Logs always go to stderr, so stdout carries only a
 * command's result (a report, a JSON document) and stays pipeable.
 */
export function wantsJson(argv: readonly string[] = process.argv, stdout = process.stdout): boolean {
  return argv.includes('--json') || !stdout.isTTY;
}

export function createLogger(json: boolean, level = process.env.CLOUDMUX_LOG_LEVEL ?? 'info'): Logger {
  if (json) {
    return pino(
      { level, base: null, timestamp: pino.stdTimeFunctions.isoTime },
      pino.destination({ dest: 2, sync: true }),
    );
  }
  return pino(
    { level, base: null },
    // One line per event for people: the message carries what matters; the fields are for machines.
    pretty({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY,
      ignore: 'pid,hostname,time',
      hideObject: true,
    }),
  );
}
