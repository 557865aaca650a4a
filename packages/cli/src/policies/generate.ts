import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPolicies } from './render.ts';

/** docs/policies/ of this repository (a maintainer's command, run from the workspace). */
export const POLICIES_DIR = fileURLToPath(new URL('../../../../docs/policies/', import.meta.url));

if (import.meta.main) {
  mkdirSync(POLICIES_DIR, { recursive: true });
  for (const [name, content] of renderPolicies()) writeFileSync(`${POLICIES_DIR}${name}`, content);
  console.log(`wrote ${[...renderPolicies().keys()].join(', ')} into ${POLICIES_DIR}`);
}
