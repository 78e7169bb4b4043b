import { defineConfig, type Options } from 'tsup';

// The CLIs, each bundled into one minified file with the client (and the approval records' check it takes from
// @cavra/approvals/wire), the contracts and the shell tokenizer: an agent starts the hook once per tool call, so its
// start-up is the latency a user sees (bench/hook-startup.mjs). Bundling
// tree-shakes what a hook never uses (the client's runner authentication: @cavra/auth, jose) and saves resolving and
// reading a dozen files; the runtime (in-process engine only) and the MCP SDK (gateway only) stay external.
const bundled: Options = {
  outDir: 'dist/bin',
  noExternal: ['@cavra/daemon-client', '@cavra/approvals', '@cavra/contracts', 'shell-quote', 'protobufjs'],
  sourcemap: true,
  // The library's build (run first) empties dist; the three builds here share dist/bin.
  clean: false,
  target: 'node20',
  shims: true,
  splitting: false,
  minify: true,
  keepNames: true,
};

export default defineConfig([
  { ...bundled, entry: ['src/cavra-mcp-gateway.ts', 'src/cavra-sandbox.ts'], format: ['esm'] },
  // cavra-hook: a small start (cavra-hook-start.ts) compiles the hook, a CommonJS script so that vm.Script can
  // compile it with a V8 code cache. Its import() of the packages left outside (the runtime, yaml, ...) become
  // require(): Node 20 runs import() in a vm.Script only behind a flag, or not at all once compiled from a cache.
  {
    ...bundled,
    entry: { 'cavra-hook-main': 'src/cavra-hook.ts' },
    format: ['cjs'],
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': false };
    },
  },
  // The start as CommonJS too (the bin): an ES module entry makes Node 20 start its ES module loader, which costs
  // about half a bare Node start. cavra-hook.js stays for commands written with that path.
  {
    ...bundled,
    entry: { 'cavra-hook': 'src/cavra-hook-start.ts' },
    format: ['cjs', 'esm'],
    sourcemap: false,
  },
]);
