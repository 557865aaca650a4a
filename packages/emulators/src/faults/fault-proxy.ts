/**
 * A fault proxy between the unmodified SDKs and an emulator: the client is pointed at the proxy's
 * port, the proxy forwards to the emulator and injects faults on command.
 *
 * Two modes, because the faults a client can meet depend on the layer:
 * - `http` (HTTP/1.1 REST services: S3, SQS, Secrets Manager, GCS, BigQuery, Azure Storage, Key
 *   Vault): faults per request. `throttle` answers with the service's own 503 "slow down" response,
 *   `reset` destroys the client's connection before forwarding, `dropResponse` forwards the request
 *   (the service acts on it) and then resets instead of answering — the lost reply that turns a
 *   retry into a duplicate — and `blackhole` holds the request unanswered.
 * - `tcp` (gRPC over HTTP/2, TDS): faults per connection, since requests are not visible there.
 *   `reset` resets a new connection, `blackhole` swallows its bytes; `cut` resets every open
 *   connection too.
 * Latency applies to every request (http) or every chunk (tcp).
 *
 * Why not toxiproxy: it works at the TCP level only, so it cannot answer a request with a 503
 * throttling response, and it would add a Go build, a process and an HTTP control API to drive
 * what is here a method call with exact counts of the faults that really fired.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { createConnection, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { FaultCounts, FaultInjector, FaultKind } from '@cloudmux/conformance';
import { type ServiceFlavor, throttleResponse } from './throttle-responses.ts';

// The fault vocabulary belongs to the conformance fault group, which this proxy serves.
export type { FaultCounts, FaultKind };

export interface FaultProxyOptions {
  /** Where the emulator listens: `http://127.0.0.1:4566` or `127.0.0.1:8085`. */
  target: string;
  mode: 'http' | 'tcp';
  /** Whose 503 body `throttle` answers with (http mode). */
  flavor?: ServiceFlavor;
  /** Random source for `failRate` (tests that need a reproducible run pass a seeded one). */
  random?: () => number;
}

export interface FaultProxy extends FaultInjector {
  /** `http://127.0.0.1:<port>`: what the client uses instead of the emulator's address. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly mode: FaultProxyOptions['mode'];
  /**
   * The next `count` requests (http) or connections (tcp) meet this fault; in tcp mode the open
   * connections are cut, so the next call has to open one.
   */
  failNext(kind: FaultKind, count?: number): void;
  /** Each request/connection meets this fault with probability `rate` until `heal()`. */
  failRate(kind: FaultKind, rate: number): void;
  /** Every request/connection meets this fault until `heal()`; `reset` also cuts open connections. */
  outage(kind: FaultKind): void;
  /** Adds this much delay to every request (http) or chunk (tcp) until `heal()`. */
  latency(ms: number): void;
  /** Ends every fault and releases black-holed requests by resetting them. */
  heal(): void;
  stop(): Promise<void>;
}

const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'reset', 'dropResponse', 'blackhole'];
const TCP_FAULTS = new Set<FaultKind>(['reset', 'blackhole']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseTarget(target: string): { host: string; port: number } {
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** Starts a proxy on a free port of 127.0.0.1 in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = parseTarget(options.target);
  const random = options.random ?? Math.random;
  const pending: FaultKind[] = [];
  let rate: { kind: FaultKind; rate: number } | undefined;
  let persistent: FaultKind | undefined;
  let delayMs = 0;
  const counts: FaultCounts = { forwarded: 0, injected: emptyInjected() };
  const sockets = new Set<Socket>();
  /** Black-holed http requests and tcp connections, released (reset) by heal() and stop(). */
  const held = new Set<Socket>();

  const check = (kind: FaultKind) => {
    if (options.mode === 'tcp' && !TCP_FAULTS.has(kind)) {
      throw new Error(`a tcp fault proxy cannot inject '${kind}': it sees connections, not requests`);
    }
    if (kind === 'throttle' && !options.flavor) throw new Error("'throttle' needs the service flavor");
  };

  /** The fault this request/connection meets, if any; counted as injected. */
  const nextFault = (): FaultKind | undefined => {
    const kind = persistent ?? pending.shift() ?? (rate && random() < rate.rate ? rate.kind : undefined);
    if (kind) counts.injected[kind]++;
    return kind;
  };

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      held.delete(socket);
    });
    // A reset client or upstream must not crash the test process.
    socket.on('error', () => undefined);
  };

  let server: Server;
  if (options.mode === 'http') {
    const http = createHttpServer((req, res) => {
      void handleHttp(req, res);
    });
    http.keepAliveTimeout = 5_000;
    http.on('connection', track);
    server = http;
    const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
      // Resets are the point here: a torn stream on either side must not crash the test process.
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      if (delayMs) await sleep(delayMs);
      const fault = nextFault();
      if (fault === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (fault === 'blackhole') {
        held.add(req.socket);
        return;
      }
      if (fault === 'throttle') {
        // Read the body first so the client sees an answer, not a write error.
        req.resume();
        req.on('end', () => {
          const answer = throttleResponse(options.flavor!, req);
          res.writeHead(answer.status, {
            ...answer.headers,
            'content-length': Buffer.byteLength(answer.body),
          });
          res.end(answer.body);
        });
        return;
      }
      counts.forwarded++;
      const forward = request(
        { ...upstream, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          answer.on('error', () => res.destroy());
          if (fault === 'dropResponse') {
            // The service has acted on the request; the client never hears about it.
            answer.resume();
            answer.on('end', () => req.socket.resetAndDestroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          answer.pipe(res);
        },
      );
      forward.on('error', () => req.socket.destroy());
      req.pipe(forward);
    };
  } else {
    server = createTcpServer((client) => {
      track(client);
      const fault = nextFault();
      if (fault === 'reset') {
        client.resetAndDestroy();
        return;
      }
      if (fault === 'blackhole') {
        held.add(client);
        client.resume();
        return;
      }
      counts.forwarded++;
      const service = createConnection(upstream);
      track(service);
      const relay = (from: Socket, to: Socket) => {
        from.on('data', (chunk: Buffer) => {
          if (!delayMs) {
            to.write(chunk);
            return;
          }
          from.pause();
          setTimeout(() => {
            to.write(chunk);
            from.resume();
          }, delayMs);
        });
        from.on('end', () => to.end());
        from.on('close', () => to.destroy());
      };
      relay(client, service);
      relay(service, client);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault proxy: no port');
  const port = address.port;

  const cutOpenConnections = () => {
    for (const socket of sockets) socket.resetAndDestroy();
  };
  const releaseHeld = () => {
    for (const socket of held) socket.resetAndDestroy();
    held.clear();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    mode: options.mode,
    failNext(kind, count = 1) {
      check(kind);
      for (let i = 0; i < count; i++) pending.push(kind);
      // gRPC keeps one connection open for every call: cut it so the next call meets the fault.
      if (options.mode === 'tcp') cutOpenConnections();
    },
    failRate(kind, value) {
      check(kind);
      if (!(value >= 0 && value <= 1)) throw new Error(`rate must be 0–1, got ${value}`);
      rate = { kind, rate: value };
    },
    outage(kind) {
      check(kind);
      persistent = kind;
      // A cut connection, not only refused new ones: clients hold pooled and HTTP/2 connections open.
      if (kind === 'reset') cutOpenConnections();
    },
    latency(ms) {
      delayMs = ms;
    },
    heal() {
      pending.length = 0;
      rate = undefined;
      persistent = undefined;
      delayMs = 0;
      releaseHeld();
    },
    counts: () => ({ forwarded: counts.forwarded, injected: { ...counts.injected } }),
    resetCounts() {
      counts.forwarded = 0;
      counts.injected = emptyInjected();
    },
    async stop() {
      releaseHeld();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function emptyInjected(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}
