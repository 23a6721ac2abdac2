import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    clearMocks: true,
    restoreMocks: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
    // `--tags-filter='!slow'` leaves them out of a quick local run; CI runs everything.
    tags: [
      {
        name: 'slow',
        description:
          'packs the npm package and installs it globally in a temporary prefix (about 20 s)',
      },
    ],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
