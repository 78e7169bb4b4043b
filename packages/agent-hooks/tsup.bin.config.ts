import { defineConfig } from 'tsup';

// The two CLIs, each bundled into one minified file with the client (and the approval records' check it takes from
// @cavra/approvals/wire), the contracts and the shell tokenizer: an agent starts the hook once per tool call, so its
// start-up is the latency a user sees (bench/hook-startup.mjs). Bundling
// tree-shakes what a hook never uses (the client's runner authentication: @cavra/auth, jose) and saves resolving and
// reading a dozen files; the runtime (in-process engine only) and the MCP SDK (gateway only) stay external.
export default defineConfig({
  entry: ['src/cavra-hook.ts', 'src/cavra-mcp-gateway.ts', 'src/cavra-sandbox.ts'],
  outDir: 'dist/bin',
  format: ['esm'],
  noExternal: ['@cavra/daemon-client', '@cavra/approvals', '@cavra/contracts', 'shell-quote', 'protobufjs'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
  splitting: false,
  minify: true,
  keepNames: true,
});
