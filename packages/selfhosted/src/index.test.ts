import { ConfigError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { createObjectStore, createQueue, optionsSchema } from './index.ts';
import { natsErrorCode } from './nats-errors.ts';

const s3 = { endpoint: 'http://127.0.0.1:9000', bucket: 'lake' };

describe('selfhosted provider module', () => {
  it('names the missing section and how to add it', () => {
    const options = optionsSchema.parse({});
    const error = (() => {
      try {
        createQueue(options, { env: {}, baseDir: '.' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('providers.selfhosted.nats');
  });

  it('reads S3 credentials from the environment and names the variable when one is missing', () => {
    const options = optionsSchema.parse({ s3 });
    const error = (() => {
      try {
        createObjectStore(options, { env: { AWS_ACCESS_KEY_ID: 'id' }, baseDir: '.' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('providers.selfhosted.s3.secretKeyEnv');
    expect((error as Error).message).toContain('AWS_SECRET_ACCESS_KEY');
    const store = createObjectStore(options, {
      env: { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' },
      baseDir: '.',
    });
    expect(store.provider).toBe('selfhosted');
    // Found by the contract on MinIO: CopyObject ignores If-None-Match there.
    expect(store.capabilities.copyCreateOnly).toBe(false);
  });

  it('refuses a stream prefix NATS cannot name a stream with', () => {
    expect(() => optionsSchema.parse({ nats: { servers: 'nats://x', streamPrefix: 'a.b' } })).toThrow();
  });

  it('classifies JetStream API errors by their numbers, not their text', () => {
    const api = (code: number, err_code: number) => ({
      apiError: () => ({ code, err_code, description: 'x' }),
    });
    expect(natsErrorCode(api(404, 10059))).toBe('NotFound');
    expect(natsErrorCode(api(400, 10058))).toBe('AlreadyExists');
    expect(natsErrorCode(api(503, 10008))).toBe('Unavailable');
    expect(natsErrorCode(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('Timeout');
    expect(natsErrorCode(Object.assign(new Error('r'), { code: 'ECONNREFUSED' }))).toBe('Unavailable');
    expect(natsErrorCode(new Error('anything else'))).toBe('Internal');
  });
});
