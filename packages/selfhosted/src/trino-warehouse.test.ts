import { CloudmuxError, ConfigError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { createWarehouse, optionsSchema } from './index.ts';
import { createTrinoWarehouse } from './trino-warehouse.ts';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Trino warehouse options', () => {
  it('refuses an endpoint that is not an http(s) URL and a missing catalog, naming the field', () => {
    for (const options of [
      { endpoint: 'trino:8080', catalog: 'lake' },
      { endpoint: 'ftp://trino', catalog: 'lake' },
      { endpoint: 'http://trino:8080', catalog: '' },
    ]) {
      const error = thrown(() => createTrinoWarehouse(options));
      expect(CloudmuxError.isInstance(error)).toBe(true);
      expect((error as CloudmuxError).code).toBe('InvalidArgument');
      expect((error as Error).message).toMatch(/endpoint|catalog/);
    }
  });

  it('through the provider module: a missing trino section is a ConfigError naming it', () => {
    const error = thrown(() => createWarehouse(optionsSchema.parse({}), { env: {}, baseDir: '.' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('providers.selfhosted.trino');
    const warehouse = createWarehouse(
      optionsSchema.parse({ trino: { endpoint: 'http://127.0.0.1:1', catalog: 'lake' } }),
      { env: { TRINO_PASSWORD: 'not-in-errors' }, baseDir: '.' },
    );
    expect(warehouse.provider).toBe('selfhosted');
    expect(warehouse.dialect.name).toBe('trino');
    expect(warehouse.capabilities.jsonType).toBe(false);
    // The escape hatch names where it connects, never the password.
    expect(JSON.stringify(warehouse.native())).not.toContain('not-in-errors');
    expect(warehouse.native()).toMatchObject({
      endpoint: 'http://127.0.0.1:1',
      catalog: 'lake',
      schema: 'cloudmux',
    });
  });

  it('an unreachable coordinator is Unavailable, and the password never appears in the error', async () => {
    const warehouse = createTrinoWarehouse({
      endpoint: 'http://127.0.0.1:1',
      catalog: 'lake',
      password: 'hunter2',
    });
    const error = await warehouse.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as CloudmuxError).code).toBe('Unavailable');
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(String((error as Error).message)).not.toContain('hunter2');
  });
});
