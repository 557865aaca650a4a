/**
 * The end-to-end suite on each cloud provider through its emulators (the stacks from
 * @cloudmux/emulator-stacks). Choose providers with PIPELINE_EMULATOR_PROVIDERS (default all three).
 * A provider whose emulators are not installed is skipped with the reason in the suite name.
 */
import { type EmulatedProvider, emulatorStacks, emulatorStackUnavailable } from '@cloudmux/emulator-stacks';
import { describe, it } from 'vitest';
import {
  describePipelineEndToEnd,
  describePoisonHandling,
  describeWarehouseRecovery,
  type PipelineE2ETarget,
} from './e2e-suite.ts';

const PROVIDERS = (process.env.PIPELINE_EMULATOR_PROVIDERS ?? 'aws,gcp,azure')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean) as EmulatedProvider[];

for (const provider of PROVIDERS) {
  const missing = emulatorStackUnavailable(provider);
  if (missing) {
    describe.skip(`pipeline end to end on ${provider} (emulators) — skipped: ${missing}`, () => {
      it('(whole suite)', () => {});
    });
    continue;
  }
  const target: PipelineE2ETarget = {
    title: `${provider} (emulators)`,
    provider,
    async open(baseDir) {
      const stack = await emulatorStacks[provider]();
      if ('skipped' in stack) throw new Error(`emulator stack for ${provider}: ${stack.skipped}`);
      return { context: { baseDir, overrides: stack.config }, stop: () => stack.stop() };
    },
    speedOnlyFlights: 2_000,
    crashFlights: 2_000,
    airportsChecked: 5,
    // Other engines may sum the doubles in another order: compare to 9–12 digits.
    exactFloats: false,
    // No consumer crashed in these cases, so nothing is held invisible: a short quiet time ends a
    // drain on Pub/Sub, which reports no queue depth.
    quietSeconds: 3,
  };
  describePipelineEndToEnd(target);
  describePoisonHandling(target);
  describeWarehouseRecovery(target);
}
