import { Command, Option } from 'commander';
import type { DoctorCheck } from '../doctor/check.ts';
import { EXIT } from '../errors.ts';
import { wantsJson } from '../log.ts';
import { callerPath } from './paths.ts';

const MARK: Record<DoctorCheck['status'], string> = {
  ok: 'ok     ',
  warning: 'warn   ',
  problem: 'PROBLEM',
  skipped: 'skip   ',
};

export function formatCheck(check: DoctorCheck): string {
  const scope = `${check.provider ? `${check.provider} ` : ''}${check.check}`;
  return `${MARK[check.status]}  ${scope.padEnd(24)} ${check.detail}${check.fix ? `\n${' '.repeat(34)}fix: ${check.fix}` : ''}`;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check this machine and the config against the clouds: Node version, config (every problem at once), credentials, region, resources, permissions, clock skew. Exit 0 all good, 1 problems found, 2 usage error',
    )
    .addOption(new Option('--provider <name>', 'check only this cloud').choices(['aws', 'gcp', 'azure']))
    .option(
      '--config <file>',
      'cloudmux config file (JSON); default $CLOUDMUX_CONFIG or ./cloudmux.config.json',
    )
    .option('--json', 'print the report as one JSON document on stdout')
    .action(async (options: { provider?: 'aws' | 'gcp' | 'azure'; config?: string; json?: boolean }) => {
      const json = options.json === true || wantsJson();
      // Loaded on use: the cloud SDKs take seconds to import, and `cloudmux --help` needs none of them.
      const { runDoctor } = await import('../doctor/run.ts');
      const report = await runDoctor({
        ...(options.provider ? { provider: options.provider } : {}),
        ...(options.config ? { configFile: callerPath(options.config) } : {}),
        ...(json ? {} : { onCheck: (check: DoctorCheck) => process.stdout.write(`${formatCheck(check)}\n`) }),
      });
      if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const problems = report.checks.filter((check) => check.status === 'problem').length;
        process.stdout.write(
          problems ? `\n${problems} problem${problems > 1 ? 's' : ''} found\n` : '\nall checks passed\n',
        );
      }
      process.exitCode = report.ok ? EXIT.ok : EXIT.problems;
    });
}
