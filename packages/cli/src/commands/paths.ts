import { resolve } from 'node:path';

/** A path the user typed, relative to where they typed it (pnpm scripts run in the package directory and set INIT_CWD). */
export function callerPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}
