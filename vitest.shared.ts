import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** One vitest config for every package: resolve workspace packages to their TypeScript sources. */
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
    },
  });
}
