import { cavraVitest } from '../../tooling/vitest.base.js';

// The longest suite of `npm test`: its files wait on daemon processes and NATS clusters more than they compute.
export default cavraVitest({ maxWorkers: 3 });
