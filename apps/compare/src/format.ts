/** Text formatting shared by the renderers and the verdict: plain ASCII-safe text, no symbols that need a special font. */
import { providerEntry } from '@cloudmux/core';

export const usd = (n: number): string =>
  n === 0
    ? '$0'
    : n < 0.01
      ? `$${n.toExponential(2)}`
      : n < 1000
        ? `$${n.toFixed(2)}`
        : `$${Math.round(n).toLocaleString('en-US')}`;

export const usdRange = (low: number, high: number): string =>
  Math.abs(high - low) < 0.005 ? usd(low) : `${usd(low)} to ${usd(high)}`;

/** 100000 → "100 k", 10000000 → "10 M", 1e9 → "1 B". */
export function volume(n: number): string {
  const [div, suffix] = n >= 1e9 ? [1e9, ' B'] : n >= 1e6 ? [1e6, ' M'] : n >= 1e3 ? [1e3, ' k'] : [1, ''];
  const v = n / div;
  return `${Number.isInteger(v) ? v : Number(v.toPrecision(2))}${suffix}`;
}

export const ms = (n: number): string =>
  n < 0.01 ? n.toPrecision(2) : n < 1 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(0);

export const bytes = (n: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
};

export const count = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 3 });

export function batchesLabel(batchRunsPerDay: number): string {
  return batchRunsPerDay === 24 ? 'hourly batches' : `${batchRunsPerDay} batch runs per day`;
}

export function endpointLabel(endpoint: string, provider?: string): string {
  // The self-hosted stack's "emulators" are the real servers (MinIO, nats-server, Trino), run here.
  if (endpoint === 'emulator' && provider !== undefined && providerEntry(provider)?.kind === 'selfHosted')
    return 'real servers on this machine (not a production cluster)';
  return endpoint === 'emulator'
    ? 'emulator on this machine (not cloud latency)'
    : endpoint === 'live'
      ? 'live cloud'
      : 'embedded, this machine';
}
