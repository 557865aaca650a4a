import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { SkipReasonsReporter } from './vitest.skips.ts';

/**
 * One vitest config for every package: resolve workspace packages to their TypeScript sources, and
 * end each run with the skipped tests and their reasons (a package may choose its main reporter).
 */
export function sharedConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@cloudmux/source'] },
    ssr: { resolve: { conditions: ['@cloudmux/source'], externalConditions: ['@cloudmux/source'] } },
    ...overrides,
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      ...overrides.test,
      reporters: [...[overrides.test?.reporters ?? 'default'].flat(), new SkipReasonsReporter()],
    },
  });
}
