/**
 * The test runner the suites register their cases with, passed in by the caller (as keyv's
 * `@keyv/test-suite` takes its runner), so this package never loads a test framework itself.
 * vitest's module satisfies it as is: `import * as vitest from 'vitest'` and hand `vitest` over.
 * Only vitest's types are used here; a case context must carry `task` (name and meta, where the
 * capability results are recorded) and `skip(note)`, as vitest's does.
 */
import type * as Vitest from 'vitest';

export type ContractRunner = Pick<
  typeof Vitest,
  'describe' | 'it' | 'expect' | 'beforeAll' | 'afterAll' | 'afterEach'
>;

/** What every case receives: vitest's test context. */
export type CaseContext = Vitest.TestContext;

/** The runner's `expect`, for helpers that assert outside a suite's closure. */
export type Expect = ContractRunner['expect'];
