import { defineConfig } from 'tsup';

/**
 * The `cavra-daemon` command as one CommonJS file (dist/bin/cavra-daemon.cjs), our packages and their dependencies
 * bundled in, run by dist/bin-launcher.js with a V8 code cache (code-cache.ts): one file to read and compile instead of
 * about 220, a cache to skip compiling it. The library (`@cavra/daemon`'s exports) stays unbundled. Left out:
 * web-tree-sitter and tree-sitter-bash, which locate their WebAssembly files from their own folders (they are this
 * package's dependencies too, so the bundle resolves them from here), and @cavra/fleet with the NATS and TUF clients
 * under it, which only a daemon with a `fleet:` section loads: a single-machine daemon neither loads nor compiles
 * them. The package versions bundled are listed by scripts/finish-bundle.mjs for `cavra-daemon --version`.
 */
export default defineConfig({
  entry: { 'cavra-daemon': 'src/cli.ts' },
  outDir: 'dist/bin',
  format: ['cjs'],
  platform: 'node',
  target: 'node20',
  bundle: true,
  splitting: false,
  dts: false,
  sourcemap: false,
  clean: true,
  shims: true,
  metafile: true,
  noExternal: [/^(?!web-tree-sitter$|tree-sitter-bash(\/|$)|@cavra\/fleet$)/],
  external: ['web-tree-sitter', /^tree-sitter-bash(\/|$)/, '@cavra/fleet'],
});
