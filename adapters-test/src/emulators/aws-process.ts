/** Helpers for emulator processes: a free port and a readiness probe that polls instead of sleeping. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

/**
 * Polls `url` until it answers with any HTTP status, the child exits (an error carrying its stderr
 * tail), or `timeoutMs` passes.
 */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  stderrTail: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (exited || child.exitCode !== null) {
      throw new Error(`emulator exited before answering ${url}: ${stderrTail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`emulator did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
