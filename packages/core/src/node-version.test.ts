import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudmuxError } from './errors.ts';
import {
  assertSupportedNode,
  isSupportedNodeVersion,
  MINIMUM_NODE_VERSION,
  UnsupportedNodeError,
} from './node-version.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '../..');

describe('the Node version check', () => {
  it('accepts the minimum and anything newer, rejects anything older', () => {
    expect(isSupportedNodeVersion('24.11.0')).toBe(true);
    expect(isSupportedNodeVersion('24.11.1')).toBe(true);
    expect(isSupportedNodeVersion('24.12.0')).toBe(true);
    expect(isSupportedNodeVersion('25.0.0-rc.1')).toBe(true);
    expect(isSupportedNodeVersion('v26.1.0')).toBe(true);
    expect(isSupportedNodeVersion('24.10.9')).toBe(false);
    expect(isSupportedNodeVersion('22.21.0')).toBe(false);
    expect(isSupportedNodeVersion('20.20.2')).toBe(false);
  });

  it('an older Node is an Unsupported CloudmuxError naming both versions', () => {
    let caught: unknown;
    try {
      assertSupportedNode('20.20.2');
    } catch (error) {
      caught = error;
    }
    expect(CloudmuxError.hasCode(caught, 'Unsupported')).toBe(true);
    expect(caught).toBeInstanceOf(UnsupportedNodeError);
    expect((caught as UnsupportedNodeError).found).toBe('20.20.2');
    expect((caught as UnsupportedNodeError).required).toBe(MINIMUM_NODE_VERSION);
  });

  it('the minimum is the engines.node of every package and of the toolchain', () => {
    const packages = ['core', 'local', 'aws', 'gcp', 'azure', 'pricing'];
    for (const name of packages) {
      const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8'));
      expect({ name, engines: manifest.engines?.node }).toEqual({
        name,
        engines: `>=${MINIMUM_NODE_VERSION}`,
      });
    }
    const toolchain = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
    expect(isSupportedNodeVersion(toolchain)).toBe(true);
  });
});

/** A Node older than the minimum on this machine (the system one, before the toolchain's on PATH). */
function findOldNode(): string | undefined {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'node'));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const result = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const version = result.stdout?.trim();
    if (result.status === 0 && version && !isSupportedNodeVersion(version)) return candidate;
  }
  return undefined;
}

describe('importing the built package on an older Node', () => {
  const oldNode = findOldNode();

  beforeAll(() => {
    if (!oldNode) return;
    // The package's own build: the old Node cannot run the TypeScript sources.
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: packageDir,
        stdio: 'pipe',
      },
    );
  }, 120_000);

  it.runIf(oldNode)('fails at import with the version found and the one needed', () => {
    const script = `
      import('@cloudmux/core').then(
        () => console.log(JSON.stringify({ imported: true })),
        (e) => console.log(JSON.stringify({ name: e.name, code: e.code, found: e.found, required: e.required, message: e.message })),
      );`;
    const result = spawnSync(oldNode!, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      encoding: 'utf8',
    });
    const version = spawnSync(oldNode!, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome).toMatchObject({
      name: 'UnsupportedNodeError',
      code: 'Unsupported',
      found: version,
      required: MINIMUM_NODE_VERSION,
    });
    // The message is the feature here: it is all a user on the old Node sees.
    expect(outcome.message).toContain(
      `cloudmux needs Node >= ${MINIMUM_NODE_VERSION}; this is Node ${version}`,
    );
  });

  if (!oldNode) {
    it.skip('skipped: no Node older than the minimum on this machine (looked at /usr/bin/node and PATH)', () => {});
  }
});
