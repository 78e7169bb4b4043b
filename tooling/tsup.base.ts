import { defineConfig, type Options } from 'tsup';

/**
 * The one build every @cavra package uses: ESM + CJS + declarations for both.
 *
 * Every source module is an entry, with shared code split into chunks, instead of one bundle per format: with
 * `"sideEffects": false` a bundler then keeps only the modules an import reaches, so `import { isDecision } from
 * '@cavra/contracts'` leaves out the protobuf code. Only the entries named in `dts` (default: src/index.ts) are
 * public; the other files in dist are the build's internals.
 */
export function cavraPackage(overrides: Options = {}) {
  const publicEntries = overrides.entry ?? ['src/index.ts'];
  return defineConfig({
    format: ['esm', 'cjs'],
    dts: { entry: publicEntries },
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    ...overrides,
    entry: [...(publicEntries as string[]), 'src/*.ts'],
  });
}
