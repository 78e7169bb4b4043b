import { cavraPackage } from '../../tooling/tsup.base.js';

export default cavraPackage();
