import { cavraPackage } from '../../tooling/tsup.base.js';

// The server; the page is built after it by tsup.page.config.ts (into dist/page). shims: import.meta.url in the CJS
// build, where the server finds dist/page.
export default cavraPackage({ shims: true });
