import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudmuxConfigInput } from '@cloudmux/core';
import { vi } from 'vitest';
import type { DoctorCheck, DoctorReport } from '../src/doctor/check.ts';

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeConfig(
  dir: string,
  config: CloudmuxConfigInput | Record<string, unknown>,
  name = 'cloudmux.config.json',
) {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * A machine with no cloud credentials anywhere: no key variables, shared files that do not exist,
 * no instance metadata (there is none here; disabling it keeps each run from waiting on its timeout).
 */
export function stubNoCredentials(dir: string): void {
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'AZURE_CLIENT_ID',
    'AZURE_TENANT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_FEDERATED_TOKEN_FILE',
  ]) {
    vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'no-aws-config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'no-aws-credentials'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('CLOUDSDK_CONFIG', join(dir, 'no-gcloud'));
  vi.stubEnv('METADATA_SERVER_DETECTION', 'none');
}

export function checkOf(report: DoctorReport, check: string): DoctorCheck {
  const found = report.checks.find((c) => c.check === check);
  if (!found) throw new Error(`no '${check}' check in ${JSON.stringify(report.checks.map((c) => c.check))}`);
  return found;
}

export const statuses = (report: DoctorReport) =>
  Object.fromEntries(report.checks.map((c) => [`${c.provider ? `${c.provider} ` : ''}${c.check}`, c.status]));
