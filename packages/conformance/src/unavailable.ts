import { type ContractMeta, recordMeta, skipWithReason } from './harness.ts';
import type { ContractRunner } from './runner.ts';

/**
 * Registers a suite that cannot run here (its emulator or toolchain is missing) as one visible
 * skipped case carrying the reason, so `pnpm contract` lists the provider as skipped rather than
 * leaving it out of the matrix. Use it in a provider's test file instead of the contract suite:
 *
 *   const moto = await findMoto();
 *   if (!moto.ok) describeUnavailable(vitest, { provider: 'aws', interface: 'secretStore', endpoint: 'emulator:moto' }, moto.reason);
 *   else describeSecretStoreContract(vitest, target);
 */
export function describeUnavailable(
  { describe, it }: Pick<ContractRunner, 'describe' | 'it'>,
  meta: Pick<ContractMeta, 'provider' | 'interface' | 'endpoint'>,
  reason: string,
): void {
  describe(`${meta.interface} contract · ${meta.provider} (${meta.endpoint})`, () => {
    it('(whole suite)', (ctx) => {
      recordMeta(ctx, { ...meta, capabilities: {}, gaps: {} });
      skipWithReason(ctx, `suite unavailable: ${reason}`);
    });
  });
}
