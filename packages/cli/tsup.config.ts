import { cavraPackage } from '../../tooling/tsup.base.js';

// The CLI (src/cli.ts, with its shebang) is an entry like every module; `bin` points at its ESM build.
export default cavraPackage({ dts: { entry: 'src/index.ts' }, shims: true });
