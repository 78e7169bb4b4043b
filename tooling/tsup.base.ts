import { defineConfig, type Options } from 'tsup';

/** The one build every @cavra package uses: ESM + CJS + declarations for both. */
export function cavraPackage(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}
