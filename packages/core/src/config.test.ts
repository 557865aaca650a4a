import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type LoadConfigOptions, loadConfig, parseConfig, parseProviderOptions } from './config.ts';
import { ConfigError } from './errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (options: LoadConfigOptions = {}) => loadConfig({ env: {}, cwd: dir, ...options });

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig', () => {
  it('defaults every resource to the local provider', () => {
    const { config, file, baseDir } = load();
    expect(config.resources).toEqual({
      objectStore: 'local',
      queue: 'local',
      warehouse: 'local',
      secretStore: 'local',
    });
    expect(config.providers).toEqual({});
    expect(config.meter.timeoutMs).toBe(0);
    expect(file).toBeUndefined();
    expect(baseDir).toBe(dir);
  });

  it('CLOUDMUX_PROVIDER sets all four; a per-resource variable wins for its resource', () => {
    const { config } = load({ env: { CLOUDMUX_PROVIDER: 'aws', CLOUDMUX_QUEUE: 'gcp' } });
    expect(config.resources).toEqual({
      objectStore: 'aws',
      queue: 'gcp',
      warehouse: 'aws',
      secretStore: 'aws',
    });
  });

  it('CLOUDMUX__a__b sets nested paths, parsing JSON values', () => {
    const { config } = load({
      env: {
        CLOUDMUX__providers__aws__region: 'eu-west-1',
        CLOUDMUX__providers__aws__maxAttempts: '5',
        CLOUDMUX__meter__timeoutMs: '2500',
      },
    });
    expect(config.providers.aws).toEqual({ region: 'eu-west-1', maxAttempts: 5 });
    expect(config.meter.timeoutMs).toBe(2500);
  });

  it('reads ./cloudmux.config.json, resolves against its directory, and lets the environment override it', async () => {
    await writeFile(
      join(dir, 'cloudmux.config.json'),
      JSON.stringify({ resources: { warehouse: 'gcp' }, providers: { gcp: { projectId: 'p1' } } }),
    );
    const { config, file, baseDir } = load({ env: { CLOUDMUX__providers__gcp__projectId: 'p2' } });
    expect(file).toBe(join(dir, 'cloudmux.config.json'));
    expect(baseDir).toBe(dir);
    expect(config.resources.warehouse).toBe('gcp');
    expect(config.resources.objectStore).toBe('local');
    expect(config.providers.gcp).toEqual({ projectId: 'p2' });
  });

  it('explicit overrides apply last', () => {
    const { config } = load({
      env: { CLOUDMUX_PROVIDER: 'aws' },
      overrides: { resources: { secretStore: 'azure' } },
    });
    expect(config.resources.secretStore).toBe('azure');
    expect(config.resources.queue).toBe('aws');
  });

  it('an invalid provider name is a ConfigError at resources.<kind>', () => {
    const error = configErrorOf(() => load({ env: { CLOUDMUX_QUEUE: 'Not A Provider!' } }));
    expect(error.field).toBe('resources.queue');
    expect(error.code).toBe('InvalidArgument');
  });

  it('an unknown key is a ConfigError naming its full path', async () => {
    await writeFile(join(dir, 'cloudmux.config.json'), JSON.stringify({ resources: { bucket: 'x' } }));
    expect(configErrorOf(() => load()).field).toBe('resources.bucket');
    expect(configErrorOf(() => parseConfig({ meter: { timeoutMs: 1, retries: 3 } })).field).toBe(
      'meter.retries',
    );
    expect(configErrorOf(() => parseConfig({ storage: 'local' })).field).toBe('storage');
  });

  it('a resources section that is not an object is a ConfigError, not silently all-local', async () => {
    await writeFile(join(dir, 'cloudmux.config.json'), JSON.stringify({ resources: 'aws' }));
    expect(configErrorOf(() => load()).field).toBe('resources');
    expect(configErrorOf(() => load({ env: { CLOUDMUX_PROVIDER: 'gcp' } })).field).toBe('resources');
  });

  it('a wrongly typed value is a ConfigError at its path', () => {
    const error = configErrorOf(() => load({ env: { CLOUDMUX__meter__timeoutMs: '"soon"' } }));
    expect(error.field).toBe('meter.timeoutMs');
    expect(error.fix).toContain('number');
  });

  it('a bad retry setting names the field inside meter.retry', () => {
    const error = configErrorOf(() => parseConfig({ meter: { retry: { maxAttempts: 0 } } }));
    expect(error.field).toBe('meter.retry.maxAttempts');
  });

  it('a file that is not valid JSON is a ConfigError naming the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "resources": { "queue": "aws", } ');
    const error = configErrorOf(() => load({ file }));
    expect(error.field).toBe(file);
  });

  it('a top level that is not an object is a ConfigError', async () => {
    const file = join(dir, 'array.json');
    await writeFile(file, '[1, 2]');
    expect(configErrorOf(() => load({ file })).field).toBe(file);
  });

  it('CLOUDMUX_CONFIG pointing at a missing file is a ConfigError at CLOUDMUX_CONFIG', () => {
    const error = configErrorOf(() => load({ env: { CLOUDMUX_CONFIG: 'nope.json' } }));
    expect(error.field).toBe('CLOUDMUX_CONFIG');
  });
});

describe('parseProviderOptions', () => {
  const schema = z
    .object({ region: z.string(), queue: z.object({ mode: z.enum(['a', 'b']) }).strict() })
    .strict();

  it('prefixes the field with providers.<name>', () => {
    const missing = configErrorOf(() => parseProviderOptions(schema, {}, 'aws'));
    expect(missing.field).toBe('providers.aws.region');
    expect(missing.fix).toContain('required');
    const bad = configErrorOf(() =>
      parseProviderOptions(schema, { region: 'x', queue: { mode: 'c' } }, 'aws'),
    );
    expect(bad.field).toBe('providers.aws.queue.mode');
    expect(bad.fix).toContain('"a"');
    const unknown = configErrorOf(() =>
      parseProviderOptions(schema, { region: 'x', queue: { mode: 'a', x: 1 } }, 'aws'),
    );
    expect(unknown.field).toBe('providers.aws.queue.x');
  });

  it('keeps the offending value out of the error and its cause (options may hold credentials)', () => {
    const credential = 'AKIA-very-secret-credential-value';
    const error = configErrorOf(() =>
      parseProviderOptions(schema, { region: 7, queue: { mode: credential } }, 'aws'),
    );
    expect(error.field).toBe('providers.aws.region');
    expect(error.fix).toContain('string');
    expect(inspect(error, { depth: 20 })).not.toContain(credential);
    const second = configErrorOf(() =>
      parseProviderOptions(schema, { region: 'r', queue: { mode: credential } }, 'aws'),
    );
    expect(inspect(second, { depth: 20 })).not.toContain(credential);
  });

  it('reports every problem at once, each with its field and fix, not only the first', () => {
    const error = configErrorOf(() =>
      parseProviderOptions(schema, { region: 7, queue: { mode: 'c', x: 1 } }, 'aws'),
    );
    expect(error.issues.map((issue) => issue.field).sort()).toEqual([
      'providers.aws.queue.mode',
      'providers.aws.queue.x',
      'providers.aws.region',
    ]);
    for (const issue of error.issues) expect(issue.fix.length).toBeGreaterThan(0);
    const config = configErrorOf(() => parseConfig({ storage: 'x', meter: { timeoutMs: -1 } }));
    expect(config.issues.map((issue) => issue.field).sort()).toEqual(['meter.timeoutMs', 'storage']);
  });

  it('returns the parsed options when valid', () => {
    expect(parseProviderOptions(schema, { region: 'r', queue: { mode: 'b' } }, 'aws')).toEqual({
      region: 'r',
      queue: { mode: 'b' },
    });
  });
});
