import { defineConfig } from 'vitest/config';

// Two projects: fast pure tests, and real-kernel integration tests (root; run one file at a time
// because they share the machine's kernel and the nsplay state directory).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'realtime',
          include: ['test/realtime/**/*.test.ts'],
          environment: 'node',
          // One file at a time: the malformed-traffic storm would starve the others' timing checks.
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
    ],
  },
});
