import { CLOUD_PROVIDERS } from '@cloudmux/core';
import { Command, Option } from 'commander';
import { mountCompare } from './commands/compare.ts';
import { doctorCommand } from './commands/doctor.ts';
import { provisionCommand, teardownCommand } from './commands/provision.ts';

/** The clouds `doctor`, `provision` and `teardown` act on: the registry's providers of kind 'cloud'. */
export const PROVIDER_CHOICES = CLOUD_PROVIDERS;

export const providerOption = () =>
  new Option('--provider <name>', 'cloud to act on').choices(PROVIDER_CHOICES);

/**
 * The `cloudmux` command tree. The pipeline and compare apps contribute their own commander trees,
 * mounted as subcommands, so `cloudmux pipeline run` is exactly `pipeline run` with the same help.
 */
export async function buildProgram(): Promise<Command> {
  const { buildProgram: buildPipeline } = await import('@cloudmux/pipeline/cli');
  const program = new Command()
    .name('cloudmux')
    .description('One data pipeline, any cloud, measured: run it, compare clouds, check and provision them')
    .addCommand(buildPipeline())
    .addCommand(await mountCompare())
    .addCommand(doctorCommand())
    .addCommand(provisionCommand())
    .addCommand(teardownCommand());
  applyEverywhere(program);
  return program;
}

/**
 * Settings commander copies only to subcommands created through `.command()`, not to trees mounted
 * with `.addCommand()`: suggestions for typos, and exceptions instead of process.exit so the bin
 * decides the exit code (2 for usage errors).
 */
function applyEverywhere(command: Command): void {
  command.showSuggestionAfterError(true).exitOverride();
  for (const sub of command.commands) applyEverywhere(sub);
}
