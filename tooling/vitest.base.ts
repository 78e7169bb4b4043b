import { defineConfig } from 'vitest/config';

/** Shared test settings: real sockets and crypto take time, so no test may hang the suite. */
export function cavraVitest() {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      reporters: ['default'],
    },
  });
}
