import { cavraPackage } from '../../tooling/tsup.base.js';

// The two CLIs (with their shebangs) are entries of their own; `bin` points at their ESM builds.
export default cavraPackage({
  entry: ['src/index.ts', 'src/cavra-hook.ts', 'src/cavra-mcp-gateway.ts'],
  dts: { entry: 'src/index.ts' },
  shims: true,
});
