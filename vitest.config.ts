import { defineConfig } from 'vitest/config';

// Three kinds of test, run together by `npm test` and one by one by
// `npm run test:unit|test:integration|test:infra`.
export default defineConfig({
  test: {
    setupFiles: ['./vitest.setup.ts'],
    // Vitest's default is one worker less than the cores: one worker on a
    // 2-core machine, where most integration files wait on child processes
    // and stand-ins, not on the CPU. Two workers keep both cores busy.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles: ['./vitest.setup.ts'],
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Pure code, but the property tests over whole simulated days take
          // a few seconds each on an idle 2-core machine and ten times that
          // on a loaded one: 60 s fails a hang, not a busy machine.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          setupFiles: ['./vitest.setup.ts'],
          // Builds the CLI bundle and finds Chromium and Java once.
          globalSetup: ['./test/support/global-setup.ts'],
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'infra',
          setupFiles: ['./vitest.setup.ts'],
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          // Each file synthesizes its own app; sharing the loaded
          // aws-cdk-lib between files saves seconds per file.
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
