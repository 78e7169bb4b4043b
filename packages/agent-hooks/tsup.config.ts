import { cavraPackage } from '../../tooling/tsup.base.js';

// The library; the CLIs are built after it by tsup.bin.config.ts (into dist/bin). shims: import.meta.url in the CJS
// build, where confinement resolves sandbox-runtime's CLI and the warm runner this package's manifest.
export default cavraPackage({ shims: true });
