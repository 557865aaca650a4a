/**
 * Live Azure mode: `CLOUDMUX_LIVE_AZURE=1` points the Azure contract suites at a real subscription
 * instead of the emulators. Resources come from the environment (see packages/azure/README.md).
 */
export const AZURE_LIVE = process.env.CLOUDMUX_LIVE_AZURE === '1';

/** The variable's value, or an error naming it (live mode only). */
export function liveEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`CLOUDMUX_LIVE_AZURE=1 needs ${name} (see packages/azure/README.md)`);
  return value;
}
