/**
 * @cloudmux/emulator-stacks: one started set of emulators per cloud with the cloudmux config that
 * points all four resources at them (what the pipeline's emulator tests, the CLI's tests and
 * `pnpm compare run` start), and the same config with every service behind a fault proxy.
 *
 * A package of its own, apart from @cloudmux/emulators, because the Azure stack swaps in a provider
 * module built on @cloudmux/azure, while the provider packages' own tests depend on the emulators:
 * one package doing both would be a dependency cycle.
 */
export {
  AZURE_EMULATOR_PROVIDER,
  type EmulatedProvider,
  type EmulatorStack,
  type EmulatorStackResult,
  emulatorStacks,
  emulatorStackUnavailable,
  PROVIDER_MODULES_ENV,
  startAwsStack,
  startAzureStack,
  startGcpStack,
  startSelfhostedStack,
} from './emulator-stacks.ts';
export { behindFaultProxies, type FaultyStack, type ResourceRole } from './faulty-stack.ts';
