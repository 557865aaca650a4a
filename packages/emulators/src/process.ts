/**
 * Emulator processes: locating a binary built into packages/emulators/.emulators/bin, free ports,
 * starting a child process and polling it until ready (never sleeping a fixed time).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const EMULATOR_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../.emulators/bin');

/** Path of an emulator binary installed by scripts/ci-deps.d, or undefined when it is missing. */
export function emulatorBinary(name: string): string | undefined {
  const path = resolve(EMULATOR_BIN, name);
  return existsSync(path) ? path : undefined;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface EmulatorProcess {
  child: ChildProcess;
  /** The last few KB of stderr and stdout, for error messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export function startProcess(binary: string, args: string[], env: NodeJS.ProcessEnv = {}): EmulatorProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let hasExited = false;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      hasExited = true;
      done();
    }),
  );
  return {
    child,
    output: () => output,
    exited: () => hasExited,
    async stop() {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Polls `ready` until it resolves true; fails when the process exits first or after `timeoutMs`. */
export async function waitUntilReady(
  proc: EmulatorProcess,
  ready: () => Promise<boolean>,
  label: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (proc.exited()) throw new Error(`${label} exited before it was ready: ${proc.output()}`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`${label} was not ready within ${timeoutMs} ms: ${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
