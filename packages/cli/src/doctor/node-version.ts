import { type DoctorCheck, ok, problem } from './check.ts';

/** The Node.js line every cloudmux package declares in `engines`. */
export const REQUIRED_NODE = '24.11.0';

const parts = (version: string) =>
  version.replace(/^v/, '').split('.').map(Number) as [number, number, number];

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function checkNodeVersion(found = process.versions.node, required = REQUIRED_NODE): DoctorCheck {
  return compareVersions(found, required) >= 0
    ? ok('node', `Node.js ${found} (needs >= ${required})`)
    : problem(
        'node',
        `Node.js ${found} is too old: cloudmux needs >= ${required} (type stripping, import.meta.main, AbortSignal.any)`,
        `install Node.js ${required} or newer (./dev installs it into .toolchain), then rerun`,
      );
}
