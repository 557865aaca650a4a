/**
 * moto in server mode: one process emulating S3, SQS and Secrets Manager on a free local port.
 * Installed by scripts/ci-deps.d/aws.sh into adapters-test/.emulators/moto-venv; the tests never
 * install anything themselves. A missing install is reported through `motoMissingReason()` so the
 * test files can skip loudly instead of failing obscurely.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForHttp } from './aws-process.ts';

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
  const child: ChildProcess = spawn(MOTO_BIN, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep only the tail: moto logs every request here.
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/data.json`, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
