import { generateKeyPairSync } from 'node:crypto';

/**
 * A throwaway service-account identity for V4 URL signing against fake-gcs-server. The emulator
 * does not verify signatures, but the Storage client only signs locally with a private key (else
 * it calls the IAM signBlob API, which is not reachable), so tests generate one per process.
 */
export function throwawayServiceAccount(): { client_email: string; private_key: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { client_email: 'cloudmux-test@emulator.iam.gserviceaccount.com', private_key: privateKey };
}
