/**
 * `node scripts/check-deps.ts` (part of `pnpm lint`): the dependency rules of the package layout,
 * checked on every import in the workspace.
 *
 * 1. No relative import reaches into another workspace package (`../../../adapters-test/src/x.ts`):
 *    packages talk through their names and exports.
 * 2. Product code (a package's or app's `src/`, without tests) never imports test code:
 *    @cloudmux/conformance, @cloudmux/emulators, @cloudmux/emulator-stacks, vitest. The test kits
 *    themselves may use vitest's types only (`import type`): the runner is passed in.
 * 3. @cloudmux/core imports no cloud SDK.
 * 4. Every package an import names is declared in that package's package.json; product code needs
 *    it in dependencies or peerDependencies (a devDependency is not installed for users).
 *
 * Prints one line per violation (file:line, rule, what to do) and exits 1 when there is any.
 * `--root <dir>` checks another checkout (the planted-violation test uses it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootArg = process.argv.indexOf('--root');
const root = resolve(
  rootArg > 0 ? process.argv[rootArg + 1]! : join(dirname(fileURLToPath(import.meta.url)), '..'),
);

/** Test kits: test code by definition, even under src/; they take the test runner as a parameter. */
const TEST_KITS = new Set(['@cloudmux/conformance', '@cloudmux/emulators', '@cloudmux/emulator-stacks']);
/** The private workspace that runs the contract matrix: a vitest runner by design. */
const TEST_RUNNERS = new Set(['@cloudmux/adapters-test']);
const TEST_ONLY_IMPORTS = [...TEST_KITS, 'vitest'];
/**
 * Product code that may start emulators, each with the reason. Nothing else may.
 * `pnpm compare run` measures every provider on its emulators when no live config is given.
 */
const EMULATOR_USERS: Record<string, string> = {
  '@cloudmux/compare': 'compare runs each cloud on its emulator stack when no live config is set',
};
const CLOUD_SDKS = [
  '@aws-sdk/',
  '@smithy/',
  '@azure/',
  '@google-cloud/',
  '@grpc/',
  'google-auth-library',
  'googleapis',
  'mssql',
  'tedious',
];
const SOURCE_FILE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', '.reports', '.emulators', 'go']);

interface Workspace {
  name: string;
  dir: string;
  declared: Set<string>;
  /** dependencies + peerDependencies + optionalDependencies: what users get installed. */
  shipped: Set<string>;
}

function workspaces(): Workspace[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s+-\s+['"]?([^'"\s#]+)['"]?\s*$/gm)].map((m) => m[1]!);
  const dirs = globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2)))
          .map((entry) => join(root, glob.slice(0, -2), entry))
          .filter((dir) => existsSync(join(dir, 'package.json')))
      : [join(root, glob)],
  );
  return dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | string | undefined
    >;
    const names = (field: string) => Object.keys((manifest[field] as Record<string, string>) ?? {});
    const shipped = new Set([
      ...names('dependencies'),
      ...names('peerDependencies'),
      ...names('optionalDependencies'),
    ]);
    return {
      name: manifest.name as string,
      dir,
      shipped,
      declared: new Set([...shipped, ...names('devDependencies')]),
    };
  });
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (SOURCE_FILE.test(entry) && !entry.endsWith('.d.ts')) yield path;
  }
}

interface Import {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

// `import x from 'y'`, `import type …`, `export … from 'y'`, `import 'y'`, `import('y')`,
// `require('y')` and `require.resolve('y')` (a file of a package, found at run time).
const IMPORT =
  /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|(?:import|require|require\.resolve)\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8')
    // Comments mention paths and packages; only code counts.
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, (_, before: string) => before);
  const found: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[3] ?? match[4]!;
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ specifier, line, typeOnly: Boolean(match[2]) });
  }
  return found;
}

const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);

/** Tests and test helpers: `*.test.ts`, anything under a `test/` or `fixtures/` folder, configs. */
function isTestFile(relativePath: string): boolean {
  const parts = relativePath.split(sep);
  return (
    /\.(?:test|e2e\.test|bench)\.[cm]?[jt]sx?$/.test(relativePath) ||
    parts.includes('test') ||
    parts.includes('fixtures') ||
    parts.includes('bench') ||
    parts[0] !== 'src'
  );
}

const all = workspaces();
const problems: string[] = [];
/** The repo's own tooling (vitest, typescript, @types/node): every package's tests may use it. */
const rootTooling = new Set(
  Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: object })
      .devDependencies ?? {},
  ),
);

for (const workspace of all) {
  const testKit = TEST_KITS.has(workspace.name);
  const testRunner = TEST_RUNNERS.has(workspace.name);
  for (const file of sourceFiles(workspace.dir)) {
    const inPackage = relative(workspace.dir, file);
    const where = relative(root, file);
    const test = testKit || testRunner || isTestFile(inPackage);
    const product = !test;
    for (const { specifier, line, typeOnly } of importsOf(file)) {
      const at = `${where}:${line}`;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        const owner = all.find((w) => target === w.dir || target.startsWith(w.dir + sep));
        if (owner && owner !== workspace) {
          problems.push(
            `${at}: relative import '${specifier}' reaches into ${owner.name}: import it by name ` +
              `('${owner.name}'), declared in ${relative(root, join(workspace.dir, 'package.json'))}`,
          );
        }
        continue;
      }
      if (isBuiltin(specifier) || specifier.startsWith('#') || /^[a-z]+:/.test(specifier)) continue;
      const name = packageOf(specifier);
      if (name === workspace.name) continue;
      if (TEST_ONLY_IMPORTS.includes(name)) {
        const allowed = name === '@cloudmux/emulator-stacks' && EMULATOR_USERS[workspace.name];
        if (product && !allowed) {
          problems.push(`${at}: product code imports test code ('${specifier}'): move it to a test file`);
        } else if (testKit && name === 'vitest' && !typeOnly && !isTestFile(inPackage)) {
          problems.push(
            `${at}: ${workspace.name} imports vitest at run time: take the runner as a parameter ` +
              `(import type only)`,
          );
        }
      }
      if (workspace.name === '@cloudmux/core' && CLOUD_SDKS.some((sdk) => name.startsWith(sdk))) {
        problems.push(
          `${at}: @cloudmux/core imports the cloud SDK '${name}': it belongs in a provider package`,
        );
      }
      if (!workspace.declared.has(name) && !(test && rootTooling.has(name))) {
        problems.push(
          `${at}: '${name}' is not declared in ${relative(root, join(workspace.dir, 'package.json'))}`,
        );
      } else if (product && !typeOnly && !workspace.shipped.has(name)) {
        problems.push(
          `${at}: '${name}' is only a devDependency of ${workspace.name} but its product code imports it: ` +
            `make it a dependency or peerDependency`,
        );
      }
    }
  }
}

for (const problem of problems) console.error(problem);
if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} dependency rule violation(s)`);
  process.exitCode = 1;
} else {
  console.log(`check-deps: ${all.length} workspace packages, dependency rules hold`);
}
