/**
 * Azurite clients for the fault group. The adapters take ready clients, so the fault target builds
 * them on the proxy's address with the dev account's key, and with shorter retry delays than the
 * Azure SDK's default 4 s base: same SDK and same retry logic, only less waiting in a test.
 */
import { AZURITE_ACCOUNT } from '../azure/azurite.ts';

export const AZURE_FAULT_RETRY = { retryOptions: { retryDelayInMs: 100, maxRetryDelayInMs: 1_000 } };

/** Azurite serves each account under its name in the path. */
export function azuriteThroughProxy(proxyEndpoint: string): string {
  return `${proxyEndpoint}/${AZURITE_ACCOUNT}`;
}
