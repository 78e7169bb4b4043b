import { cavraVitest } from '../../tooling/vitest.base.js';

export default cavraVitest();
