/** One line of the doctor's report. */
export interface DoctorCheck {
  /** What was checked, e.g. `node`, `config`, `credentials`, `resource:objectStore`, `clock`. */
  check: string;
  /** Cloud the check is about; absent for machine-wide checks. */
  provider?: 'aws' | 'gcp' | 'azure';
  /**
   * ok: fine. warning: works, but worth knowing (e.g. a queue the pipeline will create itself).
   * problem: something the user must fix; any problem makes the exit code 1.
   * skipped: could not be checked, with the reason (an earlier problem, nothing configured).
   */
  status: 'ok' | 'warning' | 'problem' | 'skipped';
  /** What was found, in one sentence. Never a secret value. */
  detail: string;
  /** The exact step that fixes a problem or warning. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export const ok = (check: string, detail: string, provider?: DoctorCheck['provider']): DoctorCheck => ({
  check,
  status: 'ok',
  detail,
  ...(provider ? { provider } : {}),
});

export const problem = (
  check: string,
  detail: string,
  fix: string,
  provider?: DoctorCheck['provider'],
): DoctorCheck => ({ check, status: 'problem', detail, fix, ...(provider ? { provider } : {}) });

export const warning = (
  check: string,
  detail: string,
  fix: string,
  provider?: DoctorCheck['provider'],
): DoctorCheck => ({ check, status: 'warning', detail, fix, ...(provider ? { provider } : {}) });

export const skipped = (check: string, detail: string, provider?: DoctorCheck['provider']): DoctorCheck => ({
  check,
  status: 'skipped',
  detail,
  ...(provider ? { provider } : {}),
});

/** The error name and message of an SDK failure, without stack or request payloads. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string | number; message?: string } | null;
  const name = e?.name && e.name !== 'Error' ? e.name : e?.code !== undefined ? String(e.code) : 'Error';
  const message = e?.message && e.message !== name ? `: ${e.message.split('\n')[0]}` : '';
  return `${name}${message}`;
}
