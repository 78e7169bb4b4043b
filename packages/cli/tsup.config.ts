import { cavraPackage } from '../../tooling/tsup.base.js';

// The CLI (src/cli.ts, with its shebang) is a second entry; `bin` points at its ESM build.
export default cavraPackage({ entry: ['src/index.ts', 'src/cli.ts'], dts: { entry: 'src/index.ts' }, shims: true });
