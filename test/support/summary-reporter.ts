/** Prints the one closing line CI reads: `N passed, N failed` (`, N skipped` when any). */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) {
        failed += 1;
      }
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') {
          passed += 1;
        } else if (state === 'failed' || inFailedSuite(test)) {
          // A test that never ran because its suite's hook failed is a failure, not a skip.
          failed += 1;
        } else {
          skipped += 1;
        }
      }
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}

function inFailedSuite(test: TestCase): boolean {
  for (let parent = test.parent; ; parent = parent.parent) {
    if (parent.errors().length > 0) {
      return true; // A hook of this suite (or file) failed.
    }
    if (parent.type === 'module') {
      return false;
    }
  }
}
