import { cavraPackage } from '../../tooling/tsup.base.js';

// The library; the CLIs are built after it by tsup.bin.config.ts (into dist/bin).
export default cavraPackage();
