/**
 * The AWS JSON 1.1 protocol as the test servers speak it: `POST /` with `X-Amz-Target:
 * <Service>.<Operation>`, a JSON body, a JSON answer; a failure is `{ __type, message }` with the
 * `x-amzn-errortype` header and its HTTP status, as the SDKs parse it. One implementation for the
 * Redshift Data API and Redshift Serverless servers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';

/** A service error: its AWS type name (`ValidationException`, …) and HTTP status. */
export class ApiError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export type JsonHandler = (input: Record<string, unknown>) => unknown;

export interface AwsJsonServerOptions {
  /** The target prefix before the operation name: `RedshiftData`, `RedshiftServerless`. */
  service: string;
  handlers: Record<string, JsonHandler>;
  /** Throws an ApiError when the request is not signed as the service expects. */
  authorize?: (req: IncomingMessage) => void;
  /** Sees every call the server accepted, before its handler runs. */
  onCall?: (operation: string, input: Record<string, unknown>) => void;
  /** Writes the answer; default JSON.stringify. */
  toJson?: (payload: unknown) => string;
}

export interface AwsJsonServer {
  endpoint: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1. */
export async function serveAwsJson(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const { service, handlers, authorize, onCall, toJson = JSON.stringify } = options;
  const prefix = `${service}.`;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(prefix) ? target.slice(prefix.length) : '';
    let status = 200;
    let payload: unknown;
    try {
      authorize?.(req);
      const handler = handlers[operation];
      if (req.method !== 'POST' || !handler) {
        throw new ApiError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
      }
      const input = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
        : {};
      onCall?.(operation, input);
      payload = await handler(input);
    } catch (error) {
      const api =
        error instanceof ApiError ? error : new ApiError('InternalServerException', String(error), 500);
      status = api.status;
      payload = { __type: api.type, message: api.message };
      res.setHeader('x-amzn-errortype', api.type);
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(toJson(payload));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
    },
  };
}
