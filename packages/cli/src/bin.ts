#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT, reportFailure } from './errors.ts';
import { createLogger, wantsJson } from './log.ts';
import { buildProgram } from './program.ts';

const logger = createLogger(wantsJson());
try {
  const program = await buildProgram();
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the message (and a suggestion); help and --version are not errors.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    reportFailure(logger, error);
    process.exitCode = EXIT.problems;
  }
}
