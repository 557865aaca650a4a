import { type DoctorCheck, describeError, ok, problem, skipped, warning } from './check.ts';

/**
 * Clock skew from the `Date` header of the service endpoint (any status will do: even a 403 carries
 * it). The midpoint of the request stands for the moment the server stamped the header.
 */
export async function checkClock(
  provider: NonNullable<DoctorCheck['provider']>,
  endpoint: string,
  limitSeconds: number,
  now: () => number = Date.now,
): Promise<DoctorCheck> {
  const sent = now();
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
  } catch (error) {
    return skipped(
      'clock',
      `could not reach ${endpoint} to read its clock: ${describeError(error)}`,
      provider,
    );
  }
  const received = now();
  const date = response.headers.get('date');
  if (!date || Number.isNaN(Date.parse(date))) {
    return skipped('clock', `${endpoint} sent no Date header to compare against`, provider);
  }
  const skewSeconds = Math.round((Date.parse(date) - (sent + received) / 2) / 1000);
  const detail = `local clock is ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'behind' : 'ahead of'} ${new URL(endpoint).host}`;
  const fix =
    'synchronise the clock with NTP (e.g. `sudo timedatectl set-ntp true` or `sudo chronyc makestep`)';
  if (Math.abs(skewSeconds) > limitSeconds) {
    return problem(
      'clock',
      `${detail}; requests signed more than ${limitSeconds} s off are rejected`,
      fix,
      provider,
    );
  }
  if (Math.abs(skewSeconds) > 60) return warning('clock', detail, fix, provider);
  return ok('clock', `${detail} (header resolution 1 s)`, provider);
}
