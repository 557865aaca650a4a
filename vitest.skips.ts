/**
 * A reporter that ends every run with the list of skipped tests and why each was skipped, so a
 * skip is never just a count ("7 skipped"). The reason is the note given to `ctx.skip(note)` or
 * `it.skip` titles that carry one; a skip with neither is listed as "no reason given" so it stands
 * out in review.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export class SkipReasonsReporter implements Reporter {
  #nameFilterActive = false;

  onInit(vitest: { config: { testNamePattern?: RegExp | string } }): void {
    // Under `-t`, tests outside the filter count as skipped; only skips with a reason matter then.
    this.#nameFilterActive = Boolean(vitest.config.testNamePattern);
  }

  onTestRunEnd(testModules: readonly TestModule[]): void {
    const lines: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const reason = reasonOf(test);
        if (!reason && this.#nameFilterActive) continue;
        lines.push(`  ↓ ${module.relativeModuleId} > ${test.fullName} — ${reason ?? 'no reason given'}`);
      }
    }
    if (lines.length === 0) return;
    process.stdout.write(`\n Skipped tests (${lines.length}), each with its reason:\n${lines.join('\n')}\n`);
  }
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
