/**
 * The fault proxy itself, against a real HTTP server and a real TCP echo server: each fault does
 * what the fault group relies on, and the counts report only faults that really fired.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';

let http: HttpServer;
let echo: TcpServer;
let requestsSeen = 0;

const portOf = (server: HttpServer | TcpServer) => (server.address() as { port: number }).port;

beforeAll(async () => {
  http = createHttpServer((req, res) => {
    requestsSeen++;
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => res.end(`echo:${req.method}:${req.url}:${body}`));
  });
  echo = createTcpServer((socket) => {
    // The proxy resets its upstream connections too.
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  http.listen(0, '127.0.0.1');
  echo.listen(0, '127.0.0.1');
  await Promise.all([once(http, 'listening'), once(echo, 'listening')]);
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => echo.close(r));
});

/** Outcome of one request through the proxy: status and body, or the network error's code. */
async function call(proxy: FaultProxy, path = '/x', init: RequestInit = {}): Promise<string> {
  try {
    const response = await fetch(`${proxy.endpoint}${path}`, { ...init, signal: AbortSignal.timeout(1_500) });
    return `${response.status} ${await response.text()}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return `error ${cause?.code ?? (error as Error).name}`;
  }
}

describe('fault proxy, http mode', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({
      target: `http://127.0.0.1:${portOf(http)}`,
      mode: 'http',
      flavor: 'aws',
    });
  });
  afterAll(() => proxy.stop());
  afterEach(() => proxy.heal());

  it('forwards method, path and body untouched when healthy', async () => {
    expect(await call(proxy, '/a?b=1', { method: 'POST', body: 'payload' })).toBe(
      '200 echo:POST:/a?b=1:payload',
    );
    expect(proxy.counts().forwarded).toBe(1);
  });

  it('throttle answers the next requests with the service 503, then forwards again', async () => {
    proxy.resetCounts();
    const before = requestsSeen;
    proxy.failNext('throttle', 2);
    const first = await call(proxy);
    expect(first).toMatch(/^503 .*<Code>SlowDown<\/Code>/s);
    expect(
      await call(proxy, '/x', { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.SendMessage' } }),
    ).toMatch(/^503 \{"__type":/);
    expect(await call(proxy)).toBe('200 echo:GET:/x:');
    expect(requestsSeen - before).toBe(1);
    expect(proxy.counts()).toMatchObject({ forwarded: 1, injected: { throttle: 2 } });
  });

  it('reset drops the connection before the request reaches the service', async () => {
    proxy.resetCounts();
    const before = requestsSeen;
    proxy.failNext('reset');
    expect(await call(proxy)).toMatch(/^error /);
    expect(requestsSeen).toBe(before);
    expect(proxy.counts().injected.reset).toBe(1);
  });

  it('dropResponse lets the service act and loses its reply', async () => {
    proxy.resetCounts();
    const before = requestsSeen;
    proxy.failNext('dropResponse');
    expect(await call(proxy)).toMatch(/^error /);
    expect(requestsSeen - before).toBe(1);
    expect(proxy.counts()).toMatchObject({ forwarded: 1, injected: { dropResponse: 1 } });
  });

  it('blackhole holds the request unanswered until the client gives up; heal releases it', async () => {
    proxy.resetCounts();
    proxy.failNext('blackhole');
    expect(await call(proxy)).toBe('error TimeoutError');
    proxy.heal();
    expect(await call(proxy)).toBe('200 echo:GET:/x:');
    expect(proxy.counts().injected.blackhole).toBe(1);
  });

  it('an outage fails every request until heal; failRate 0 never fires', async () => {
    proxy.resetCounts();
    proxy.outage('throttle');
    for (let i = 0; i < 3; i++) expect(await call(proxy)).toMatch(/^503 /);
    proxy.heal();
    proxy.failRate('throttle', 0);
    expect(await call(proxy)).toBe('200 echo:GET:/x:');
    expect(proxy.counts().injected.throttle).toBe(3);
  });
});

describe('fault proxy, tcp mode', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ target: `127.0.0.1:${portOf(echo)}`, mode: 'tcp' });
  });
  afterAll(() => proxy.stop());

  /** Sends `text` on a new connection; resolves with what came back, or the error code. */
  async function roundTrip(text: string): Promise<string> {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.setTimeout(1_000);
    return new Promise((resolve) => {
      let received = '';
      socket.on('connect', () => socket.write(text));
      socket.on('data', (chunk) => {
        received += chunk;
        if (received.length >= text.length) {
          socket.end();
          resolve(received);
        }
      });
      socket.on('timeout', () => {
        socket.destroy();
        resolve('timeout');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
    });
  }

  it('relays bytes both ways, with added latency when asked', async () => {
    expect(await roundTrip('ping')).toBe('ping');
    proxy.latency(50);
    expect(await roundTrip('slow')).toBe('slow');
    proxy.heal();
  });

  it('reset and blackhole apply to the next connections only', async () => {
    proxy.resetCounts();
    proxy.failNext('reset');
    expect(await roundTrip('a')).toBe('error ECONNRESET');
    proxy.failNext('blackhole');
    expect(await roundTrip('b')).toBe('timeout');
    expect(await roundTrip('c')).toBe('c');
    expect(proxy.counts()).toMatchObject({ forwarded: 1, injected: { reset: 1, blackhole: 1 } });
  });

  it('refuses faults it cannot see at the TCP level', () => {
    expect(() => proxy.failNext('throttle')).toThrow();
    expect(() => proxy.failNext('dropResponse')).toThrow();
  });
});
