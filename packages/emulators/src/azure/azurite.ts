/**
 * Azurite (the Azure Storage emulator, an npm devDependency of this package) for Blob and Queue
 * Storage: in memory, on ports the OS picks, API version check off (the SDKs speak a newer API
 * version than Azurite knows), telemetry off. Readiness is read from Azurite's own "listening"
 * lines and confirmed with an HTTP round trip — never a sleep.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The well-known development account every Azurite instance accepts (documented, not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  blobEndpoint: string;
  queueEndpoint: string;
  /** Connection string for the dev account on this instance's ports. */
  connectionString: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Where Azurite's entry point is, or undefined when the package is not installed. */
export function azuriteEntry(): string | undefined {
  try {
    return require.resolve('azurite/dist/src/azurite.js');
  } catch {
    return undefined;
  }
}

export interface AzuriteOptions {
  startupTimeoutMs?: number;
  /**
   * Serve HTTPS with this PEM certificate and key and accept Entra ID bearer tokens (`--oauth
   * basic`: the token's issuer, audience and lifetime are checked, its signature is not). Needed for
   * token credentials and user-delegation SAS; the caller trusts the certificate itself.
   */
  oauth?: { cert: string; key: string };
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const entry = azuriteEntry();
  if (!entry)
    throw new Error('azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)');
  const workspace = mkdtempSync(join(tmpdir(), 'cloudmux-azurite-'));
  const tlsArgs: string[] = [];
  if (options.oauth) {
    writeFileSync(join(workspace, 'cert.pem'), options.oauth.cert);
    writeFileSync(join(workspace, 'key.pem'), options.oauth.key);
    tlsArgs.push(
      '--oauth',
      'basic',
      '--cert',
      join(workspace, 'cert.pem'),
      '--key',
      join(workspace, 'key.pem'),
    );
  }
  const child = spawn(
    process.execPath,
    [
      entry,
      '--inMemoryPersistence',
      '--extentMemoryLimit',
      '512',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
      '--silent',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      '0',
      '--tablePort',
      '0',
      ...tlsArgs,
    ],
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async () => {
    await terminate(child);
    rmSync(workspace, { recursive: true, force: true });
  };
  try {
    // A few seconds on an idle machine; over 30 s was seen while CI loaded both cores with nine test
    // workers importing at once. Within the 120 s hook timeout the suites give a start.
    const endpoints = await waitForListening(child, options.startupTimeoutMs ?? 90_000);
    const blobEndpoint = `${endpoints.blob}/${AZURITE_ACCOUNT}`;
    const queueEndpoint = `${endpoints.queue}/${AZURITE_ACCOUNT}`;
    // Health check: the services answer HTTP (an anonymous request is refused, which proves they serve).
    for (const endpoint of [blobEndpoint, queueEndpoint]) {
      if (options.oauth) await httpsAnswers(`${endpoint}?comp=list`, options.oauth.cert);
      else await fetch(`${endpoint}?comp=list`);
    }
    return {
      blobEndpoint,
      queueEndpoint,
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<{ blob: string; queue: string }> {
  return new Promise((resolve, reject) => {
    const found: { blob?: string; queue?: string } = {};
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(
        /Azurite (Blob|Queue) service is successfully listening at (https?:\/\/\S+)/g,
      )) {
        if (match[2]) found[match[1] === 'Blob' ? 'blob' : 'queue'] = match[2];
      }
      if (found.blob && found.queue) {
        cleanup();
        resolve({ blob: found.blob, queue: found.queue });
      }
    };
    const onExit = (code: number | null) => fail(new Error(`Azurite exited with code ${code}:\n${output}`));
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

function httpsAnswers(url: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (response) => {
      response.resume();
      resolve();
    }).on('error', reject);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
