/**
 * fauxqs (npm, in-process S3 + SQS emulator) as the alternative to moto for S3 and SQS. It runs in
 * the test worker itself, so it needs no install step beyond the pnpm lockfile.
 */
import { startFauxqs } from 'fauxqs';
import type { RunningEmulator } from './moto.ts';

export async function startFauxqsEmulator(): Promise<RunningEmulator> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  return { endpoint: server.address, stop: () => server.stop() };
}
