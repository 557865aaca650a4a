/**
 * The secret-store suite's fixture: a fresh adapter per case and names the case deletes after itself.
 */
import { CloudmuxError, type SecretStore, type SecretStoreCapabilities } from '@cloudmux/core';
import { beginCase, type ContractTarget, uniqueName } from '../harness.ts';
import type { CaseContext, ContractRunner } from '../runner.ts';

export interface Fixture {
  store: SecretStore;
  capabilities: SecretStoreCapabilities;
  /** A fresh secret name, deleted after the case. */
  name(label: string): string;
  /** Deletes a secret named by the case after it. */
  track(name: string): string;
}

/** A value distinctive enough that finding it anywhere means it leaked. */
export function recognisableValue(): string {
  return `s3cr3t-${uniqueName('value')}-do-not-log`;
}

/** The shared state and helpers of one secretStore suite run; registers its hooks with the runner. */
export function secretStoreSuite(runner: ContractRunner, target: ContractTarget<SecretStore>) {
  const { it, expect } = runner;
  async function setup(ctx: CaseContext): Promise<Fixture> {
    const store = await target.create();
    const created = new Set<string>();
    ctx.onTestFinished(async () => {
      for (const name of created) {
        await store.delete(name, { force: true }).catch((error: unknown) => {
          if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
        });
      }
      await target.destroy(store);
    });
    beginCase(ctx, target, 'secretStore', store.capabilities);
    return {
      store,
      capabilities: store.capabilities,
      name(label) {
        const name = uniqueName(`cmx-${label}`);
        created.add(name);
        return name;
      },
      track(name) {
        created.add(name);
        return name;
      },
    };
  }

  return {
    it,
    expect,
    target,
    setup,
  };
}

export type SecretStoreSuite = ReturnType<typeof secretStoreSuite>;
