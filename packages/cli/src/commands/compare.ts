import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

/**
 * `cloudmux compare …`: the compare app's own commander tree when it exports one
 * (`@cloudmux/compare/cli` → `buildProgram()`); until then its CLI runs as a child process with the
 * arguments passed through unchanged, and its exit code becomes ours.
 */
/** Not a literal import: the compare app may not export its CLI yet. */
const COMPARE_CLI = '@cloudmux/compare/cli';

export async function mountCompare(): Promise<Command> {
  try {
    const module = (await import(COMPARE_CLI)) as { buildProgram?: () => Command };
    if (module.buildProgram) return module.buildProgram();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
  }
  return new Command('compare')
    .description('the same workloads on each provider: one report of latency and cost (run, render)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'arguments of the compare app')
    .action(async (args: string[]) => {
      // The app's entry resolves to src/index.ts under the source condition, else dist/index.js.
      const entry = import.meta.resolve('@cloudmux/compare');
      const fromSource = entry.endsWith('.ts');
      const cli = fileURLToPath(new URL(fromSource ? './cli.ts' : './cli.js', entry));
      process.exitCode = await new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [...(fromSource ? ['--conditions=@cloudmux/source'] : []), cli, ...args],
          {
            stdio: 'inherit',
          },
        );
        child.once('error', reject);
        child.once('exit', (code) => resolve(code ?? 1));
      });
    });
}
