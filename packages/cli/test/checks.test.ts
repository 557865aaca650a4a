import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { checkClock } from '../src/doctor/clock.ts';
import { checkNodeVersion, compareVersions } from '../src/doctor/node-version.ts';

describe('doctor: Node version', () => {
  it('accepts the required version and newer, names both versions when older', () => {
    expect(checkNodeVersion('24.11.0', '24.11.0').status).toBe('ok');
    expect(checkNodeVersion('25.0.1', '24.11.0').status).toBe('ok');
    const old = checkNodeVersion('20.19.2', '24.11.0');
    expect(old.status).toBe('problem');
    expect(old.detail).toContain('20.19.2');
    expect(old.detail).toContain('24.11.0');
    expect(compareVersions('24.9.0', '24.11.0')).toBeLessThan(0);
  });
});

describe('doctor: clock skew from the Date header', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  /** An endpoint whose clock runs `offsetMs` away from ours, as a real service's would. */
  async function endpointWithClock(offsetMs: number): Promise<string> {
    server = createServer((_req, res) => {
      res.writeHead(403, { date: new Date(Date.now() + offsetMs).toUTCString() });
      res.end();
    });
    await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  it('ok within a minute, a warning beyond, a problem beyond the service limit', async () => {
    expect((await checkClock('aws', await endpointWithClock(0), 900)).status).toBe('ok');
    await new Promise<void>((done) => server!.close(() => done()));
    expect((await checkClock('aws', await endpointWithClock(5 * 60_000), 900)).status).toBe('warning');
    await new Promise<void>((done) => server!.close(() => done()));
    const skewed = await checkClock('aws', await endpointWithClock(-20 * 60_000), 900);
    expect(skewed.status).toBe('problem');
    expect(skewed.fix).toContain('NTP');
  });

  it('an unreachable endpoint is skipped with the reason, not passed', async () => {
    const check = await checkClock('gcp', 'http://127.0.0.1:1', 300);
    expect(check.status).toBe('skipped');
  });
});
