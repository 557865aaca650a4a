import type { Command } from 'commander';

/** `cloudmux compare …`: the compare app's own commander tree, loaded with the program. */
export async function mountCompare(): Promise<Command> {
  const { buildProgram } = await import('@cloudmux/compare/cli');
  return buildProgram();
}
