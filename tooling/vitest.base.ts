import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Shared test settings: real sockets and crypto take time, so no test may hang the suite; the limits are a guard
 * against a hang, generous because a 2-core CI machine runs every package's suite at once. `maxWorkers` raises how
 * many test files run at once (vitest's default is one less than the cores): for a suite whose files mostly wait on
 * the processes and servers they start, so that it does not run alone on one core at the end of `npm test`. Each
 * run's temporary files live in one folder of its own, removed at its end (vitest-temp-root.ts).
 */
export function cavraVitest(options: { maxWorkers?: number } = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: ['default'],
      globalSetup: [fileURLToPath(new URL('./vitest-temp-root.ts', import.meta.url))],
      ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers, minWorkers: 1 }),
    },
  });
}
