/**
 * moto in server mode: one process emulating S3, SQS and Secrets Manager on a free local port.
 * Installed by scripts/ci-deps.d/aws.sh into packages/emulators/.emulators/moto-venv; the tests never
 * install anything themselves. A missing install is reported through `motoMissingReason()` so the
 * test files can skip loudly instead of failing obscurely.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitUntilReady } from '../process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MOTO_VENV = resolve(ROOT, '.emulators/moto-venv');
export const MOTO_BIN = process.env.CLOUDMUX_MOTO_SERVER ?? resolve(MOTO_VENV, 'bin/moto_server');

/** Why moto cannot run here, or undefined when it can. */
export function motoMissingReason(): string | undefined {
  return existsSync(MOTO_BIN)
    ? undefined
    : `moto not installed (${MOTO_BIN} missing): run scripts/ci-deps.d/aws.sh`;
}

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto_server on a free port and resolves once it answers HTTP. */
export async function startMoto(): Promise<RunningEmulator> {
  const missing = motoMissingReason();
  if (missing) throw new Error(missing);
  const port = await freePort();
  // moto logs every request; startProcess keeps only the tail for error messages.
  const proc = startProcess(MOTO_BIN, ['-H', '127.0.0.1', '-p', String(port)], {
    MOTO_ALLOW_NONEXISTENT_REGION: 'true',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    proc,
    async () => {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return true;
    },
    'moto_server',
  );
  return { endpoint, stop: () => proc.stop() };
}
