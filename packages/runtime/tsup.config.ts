import { cavraPackage } from '../../tooling/tsup.base.js';

// shims: import.meta.url in the CJS build, to find the shipped policies/ folder.
export default cavraPackage({ shims: true });
