/**
 * Azure emulators: Azurite (Blob and Queue Storage), the Key Vault test server and the TDS test
 * server (Synapse SQL on DuckDB), plus the Azurite clients the fault group builds on a proxy.
 */

export { AZURE_FAULT_RETRY, azuriteThroughProxy } from '../faults/azure-fault-clients.ts';
export {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  type AzuriteInstance,
  type AzuriteOptions,
  azuriteEntry,
  startAzurite,
} from './azurite.ts';
export { KEY_VAULT_TEST_TOKEN, type KeyVaultServer, startKeyVaultServer } from './key-vault-server.ts';
export { startTdsServer, type TdsServer } from './tds-server/server.ts';
