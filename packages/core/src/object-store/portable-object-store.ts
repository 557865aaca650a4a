/**
 * The portable ObjectStore (Go CDK `blob.Bucket` over `driver.Bucket`): everything that is not
 * cloud-specific happens here, once, for every provider — key and argument validation against the
 * driver's limits, capability checks, failed conditions mapped to one code, `deleteMany` chunking,
 * `listAll` pagination, consume-once bodies, error messages, metering, retries, timeouts and
 * cancellation. Each call runs through one `OperationRunner`, resolved at construction, with its
 * idempotency stated here.
 */
import { CloudmuxError, type ErrorCode } from '../errors.ts';
import { DriverError, portableError } from '../portable/errors.ts';
import type { OperationRunner, OperationSource } from '../portable/operation.ts';
import {
  type CallOptions,
  driverUnder,
  type PortableOptions,
  PortableResource,
  unwrapDriver,
} from '../portable/resource.ts';
import type { DriverBodySource, DriverObject, ObjectStoreDriver } from './driver.ts';
import type {
  CopyOptions,
  DeleteManyResult,
  GetOptions,
  ListAllOptions,
  ListOptions,
  ListPage,
  ObjectBody,
  ObjectData,
  ObjectInfo,
  ObjectStore,
  PresignOptions,
  PutOptions,
  PutResult,
} from './types.ts';
import {
  checkCreateOnly,
  checkKey,
  checkKeyOrPrefix,
  checkRange,
  driverBody,
  isReplayable,
  listSettings,
  presignSettings,
  putSettings,
} from './validate.ts';

const OPERATIONS = [
  'put',
  'get',
  'getBody',
  'head',
  'list',
  'delete',
  'deleteMany',
  'copy',
  'presign',
  'close',
] as const;
type Operation = (typeof OPERATIONS)[number];

// Symbol.for: recognised across duplicate copies of this package, like CloudmuxError.
const DRIVER = Symbol.for('cloudmux.object-store.driver');

export type PortableObjectStoreOptions = PortableOptions;

/**
 * Builds the portable ObjectStore over a driver. Given a portable ObjectStore instead, it re-wraps
 * that store's driver: this is how the registry attaches its meter to a store a provider built.
 */
export function portableObjectStore(
  driver: ObjectStoreDriver | ObjectStore,
  options: PortableObjectStoreOptions = {},
): ObjectStore {
  return new PortableObjectStore(...unwrapDriver<ObjectStoreDriver>(DRIVER, driver, options));
}

/** The driver under a portable ObjectStore, or undefined for anything else. */
export function objectStoreDriverOf(store: unknown): ObjectStoreDriver | undefined {
  return driverUnder<ObjectStoreDriver>(DRIVER, store);
}

class PortableObjectStore extends PortableResource<ObjectStoreDriver, Operation> implements ObjectStore {
  readonly [DRIVER]: ObjectStoreDriver;
  readonly #errorCode: (error: unknown) => ErrorCode;

  constructor(driver: ObjectStoreDriver, operations: OperationSource) {
    // Drivers report usage through `call.report` only: the meter skips the AsyncLocalStorage context.
    super(driver, 'objectStore', OPERATIONS, operations, { explicitUsage: true });
    this[DRIVER] = driver;
    this.#errorCode = (error: unknown) => driver.errorCode(error);
  }

  get limits() {
    return this.driver.limits;
  }
  get location() {
    return this.driver.location;
  }

  /** The code a driver failure carries, whichever form the driver threw it in. */
  #codeOf(raw: unknown): ErrorCode {
    if (DriverError.isInstance(raw) || CloudmuxError.isInstance(raw)) return raw.code;
    try {
      return this.#errorCode(raw);
    } catch {
      return 'Internal';
    }
  }

  /**
   * One answer for a failed condition on every service: a create-only write that meets an object
   * is AlreadyExists (S3 and GCS say 412, Azure 409 or 412), and compare-and-swap against a missing
   * object is PreconditionFailed (S3 and Azure say 404 on some paths).
   */
  async #conditional<R>(call: () => Promise<R>, createOnly: boolean, ifMatch: boolean): Promise<R> {
    try {
      return await call();
    } catch (raw) {
      const code = this.#codeOf(raw);
      const cause = DriverError.isInstance(raw) ? (raw.cause ?? raw) : raw;
      if (createOnly && code === 'PreconditionFailed') {
        throw new DriverError('AlreadyExists', { detail: 'an object already exists at this key', cause });
      }
      if (ifMatch && code === 'NotFound') {
        throw new DriverError('PreconditionFailed', { detail: 'no object to compare the etag with', cause });
      }
      throw raw;
    }
  }

  put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const d = this.driver;
    return this.ops.put.run(
      (call) => {
        checkKey(d, key);
        const settings = putSettings(options);
        if (settings.createOnly) this.require(d.capabilities.createOnly, 'put', 'createOnly');
        if (settings.ifMatch !== undefined)
          this.require(d.capabilities.compareAndSwap, 'put', 'compareAndSwap');
        if (settings.metadata !== undefined && Object.keys(settings.metadata).length > 0) {
          this.require(d.capabilities.userMetadata, 'put', 'userMetadata');
        }
        const bytes = driverBody(body);
        return this.#conditional(
          () => d.put(key, bytes, settings, call),
          settings.createOnly === true,
          settings.ifMatch !== undefined,
        );
      },
      // A stream cannot be replayed; a conditional put repeated after a lost reply meets its own
      // write and would report a false conflict.
      isReplayable(body, options),
      key,
      options.signal,
    );
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectData> {
    const d = this.driver;
    const object = await this.ops.get.run(
      (call) => {
        checkKey(d, key);
        const range = checkRange(options.range);
        if (range) this.require(d.capabilities.rangeGet, 'get', 'rangeGet');
        return d.get(key, range, call);
      },
      true,
      key,
      options.signal,
    );
    return this.#objectData(object, key, options.signal);
  }

  /**
   * The driver's body made consumable once. Timing: the meter's `get` ends when the response
   * headers arrive (time to first byte); `getBody` runs from the first read of the body to its
   * last byte, so `get` + `getBody` is the whole download. A body read is never retried (a
   * stream cannot be replayed) and honours the get's signal.
   */
  #objectData(object: DriverObject, key: string, signal: AbortSignal | undefined): ObjectData {
    const { body, ...info } = object;
    const context = this.context('getBody', key);
    const runner = this.ops.getBody;
    let consumed = false;
    const take = (): DriverBodySource => {
      if (consumed) {
        throw portableError(
          new DriverError('InvalidArgument', { detail: 'the body of this object was already consumed' }),
          context,
          this.#errorCode,
        );
      }
      consumed = true;
      return body;
    };
    const bytes = (): Promise<Uint8Array> => {
      let source: DriverBodySource;
      try {
        source = take();
      } catch (error) {
        return Promise.reject(error);
      }
      return runner.run(() => source.bytes(), false, key, signal);
    };
    return {
      ...info,
      stream: () => meteredStream(take().stream(), runner, key, signal),
      bytes,
      text: async () => new TextDecoder().decode(await bytes()),
    };
  }

  head(key: string, options?: CallOptions): Promise<ObjectInfo> {
    const d = this.driver;
    return this.ops.head.run(
      (call) => {
        checkKey(d, key);
        return d.head(key, call);
      },
      true,
      key,
      options?.signal,
    );
  }

  list(options: ListOptions = {}): Promise<ListPage> {
    const d = this.driver;
    return this.ops.list.run(
      (call) => {
        const settings = listSettings(d, options);
        if (settings.delimiter !== undefined)
          this.require(d.capabilities.listDelimiter, 'list', 'listDelimiter');
        if (settings.startAfter !== undefined) {
          this.require(d.capabilities.listStartAfter, 'list', 'listStartAfter');
        }
        return d.list(settings, call);
      },
      true,
      options.prefix,
      options.signal,
    );
  }

  async *listAll(options: ListAllOptions = {}): AsyncIterable<ObjectInfo> {
    let pageToken: string | undefined;
    do {
      const page = await this.list(pageToken === undefined ? options : { ...options, pageToken });
      yield* page.objects;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  delete(key: string, options?: CallOptions): Promise<void> {
    const d = this.driver;
    return this.ops.delete.run(
      (call) => {
        checkKey(d, key);
        return d.delete(key, call);
      },
      true,
      key,
      options?.signal,
    );
  }

  async deleteMany(keys: readonly string[], options?: CallOptions): Promise<DeleteManyResult> {
    const d = this.driver;
    if (!Array.isArray(keys)) {
      return this.ops.deleteMany.run(
        () => Promise.reject(new DriverError('InvalidArgument', { detail: 'keys must be an array' })),
        false,
        undefined,
        options?.signal,
      );
    }
    const result: DeleteManyResult = { deleted: [], errors: [] };
    const valid: string[] = [];
    for (const key of keys) {
      try {
        valid.push(checkKey(d, key));
      } catch (raw) {
        result.errors.push({
          key,
          error: portableError(raw, this.context('deleteMany', key), this.#errorCode),
        });
      }
    }
    const limit = d.limits.maxDeleteBatch;
    for (let start = 0; start < valid.length; start += limit) {
      const chunk = valid.slice(start, start + limit);
      const outcomes = await this.ops.deleteMany.run((call) => d.deleteMany(chunk, call), {
        idempotent: true,
        signal: options?.signal,
        // Objects this call deleted: one driver outcome per key, undefined when it went.
        items: (results) => results.filter((outcome) => outcome === undefined).length,
      });
      chunk.forEach((key, i) => {
        const failure = outcomes[i];
        if (failure === undefined) result.deleted.push(key);
        else {
          result.errors.push({
            key,
            error: portableError(failure, this.context('deleteMany', key), this.#errorCode),
          });
        }
      });
    }
    return result;
  }

  copy(sourceKey: string, targetKey: string, options: CopyOptions = {}): Promise<PutResult> {
    const d = this.driver;
    return this.ops.copy.run(
      (call) => {
        checkKey(d, sourceKey, 'sourceKey');
        checkKey(d, targetKey, 'targetKey');
        const createOnly = checkCreateOnly(options.ifNoneMatch);
        this.require(d.capabilities.copy, 'copy', 'copy');
        if (createOnly) this.require(d.capabilities.copyCreateOnly, 'copy', 'copyCreateOnly');
        return this.#conditional(
          () => d.copy(sourceKey, targetKey, createOnly ? { createOnly } : {}, call),
          createOnly,
          false,
        );
      },
      // A create-only copy repeated after a lost reply meets its own write: a false conflict.
      options.ifNoneMatch === undefined,
      `${sourceKey} → ${targetKey}`,
      options.signal,
    );
  }

  presign(key: string, options: PresignOptions): Promise<string> {
    const d = this.driver;
    return this.ops.presign.run(
      (call) => {
        checkKey(d, key);
        const method = (options as PresignOptions | undefined)?.method;
        // Before the lifetime check: a store without presigned URLs has no lifetime to check against.
        if (method === 'GET') this.require(d.capabilities.presignGet, 'presign', 'presignGet');
        if (method === 'PUT') this.require(d.capabilities.presignPut, 'presign', 'presignPut');
        return d.presign(key, presignSettings(d, options), call);
      },
      true,
      key,
      options?.signal,
    );
  }

  uriOf(key: string): string {
    try {
      checkKeyOrPrefix(this.driver, key);
      return this.driver.uriOf(key);
    } catch (raw) {
      throw portableError(raw, this.context('uriOf', key), this.#errorCode);
    }
  }
}

/**
 * `source` read through one `getBody` run: the run ends at the last chunk (or when the reader
 * cancels), a failure reaches the reader as the run's CloudmuxError, and an abort or a timeout of
 * the run ends the stream with it.
 */
function meteredStream(
  source: ReadableStream<Uint8Array>,
  runner: OperationRunner,
  key: string,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let finish!: () => void;
  let fail!: (raw: unknown) => void;
  const read = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  let stop: ((error: unknown) => void) | undefined;
  const metered = runner.run(() => read, false, key, signal);
  metered.catch((error: unknown) => {
    stop?.(error);
    reader.cancel(error).catch(() => {});
  });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stop = (error) => controller.error(error);
    },
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (raw) {
        // The run turns the native error into the CloudmuxError the reader then receives.
        fail(raw);
        // Settles after the handler above has errored this stream with the translated error.
        await metered.catch(() => {});
        return;
      }
      if (chunk.done) {
        controller.close();
        finish();
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
}
