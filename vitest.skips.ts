/**
 * A reporter that ends every run with the list of skipped tests and why each was skipped, so a
 * skip is never just a count ("7 skipped"); then the tests that passed only on a retry, with what
 * their first attempt threw (suites against real servers retry once: a flake is named, never
 * hidden); then the failures again, one line each, so the last lines of a long CI log name what
 * failed instead of ending on the skip list.
 *
 * The skip reason is the note given to `ctx.skip(note)` or `it.skip` titles that carry one; a skip
 * with neither is listed as "no reason given" so it stands out in review.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface SerializedError {
  readonly name?: string;
  readonly message?: string;
}

export class SkipReasonsReporter implements Reporter {
  #nameFilterActive = false;

  onInit(vitest: { config: { testNamePattern?: RegExp | string } }): void {
    // Under `-t`, tests outside the filter count as skipped; only skips with a reason matter then.
    this.#nameFilterActive = Boolean(vitest.config.testNamePattern);
  }

  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[] = []): void {
    const skipped: string[] = [];
    const flaky: string[] = [];
    const failed: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const reason = reasonOf(test);
        if (!reason && this.#nameFilterActive) continue;
        skipped.push(`  ↓ ${module.relativeModuleId} > ${test.fullName} — ${reason ?? 'no reason given'}`);
      }
      for (const test of module.children.allTests('passed')) {
        const diagnostic = test.diagnostic();
        if (!diagnostic?.flaky) continue;
        const [error] = test.result().errors ?? [];
        flaky.push(
          `  ~ ${module.relativeModuleId} > ${test.fullName} — passed on retry ${diagnostic.retryCount}; first attempt: ${error ? firstLine(error) : 'failed'}`,
        );
      }
      // A module whose import or hook failed has errors of its own and may have no failed test.
      for (const error of module.errors())
        failed.push(`  × ${module.relativeModuleId} — ${firstLine(error)}`);
      for (const test of module.children.allTests('failed')) {
        const [error] = test.result().errors ?? [];
        failed.push(
          `  × ${module.relativeModuleId} > ${test.fullName} — ${error ? firstLine(error) : 'failed'}`,
        );
      }
    }
    for (const error of unhandledErrors) failed.push(`  × unhandled error — ${firstLine(error)}`);
    if (skipped.length > 0) {
      process.stdout.write(
        `\n Skipped tests (${skipped.length}), each with its reason:\n${skipped.join('\n')}\n`,
      );
    }
    if (flaky.length > 0) {
      process.stdout.write(
        `\n Passed only on a retry (${flaky.length}): flaky under this machine's load, or a real fault that comes and goes:\n${flaky.join('\n')}\n`,
      );
    }
    if (failed.length > 0) {
      process.stdout.write(
        `\n Failed (${failed.length}), repeated here so the end of the log names them:\n${failed.join('\n')}\n`,
      );
    }
  }
}

function firstLine(error: SerializedError): string {
  const text = `${error.name ?? 'Error'}: ${error.message ?? ''}`;
  const line = text.split('\n', 1)[0] ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Titles of skipped suites and tests carry their reason as `… — skipped: <reason>`. */
const TITLED_REASON = /— skipped: (.+)$/;

function reasonOf(test: TestCase): string | undefined {
  const result = test.result();
  if (result.state === 'skipped' && result.note) return result.note;
  // A suite skipped as a whole (describe.skip / skipIf) can only carry its reason in its title.
  for (let entity: TestCase['parent'] | TestCase = test; entity.type !== 'module'; entity = entity.parent) {
    const titled = TITLED_REASON.exec(entity.name);
    if (titled) return titled[1];
  }
  return undefined;
}
