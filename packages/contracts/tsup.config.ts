import { cavraPackage } from '../../tooling/tsup.base.js';

export default cavraPackage({ entry: ['src/index.ts', 'src/plain.ts'] });
