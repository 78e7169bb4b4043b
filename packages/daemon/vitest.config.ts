import { cavraVitest } from '../../tooling/vitest.base.js';

// Its files wait on daemon processes and NATS clusters more than they compute (111 s of CPU in 260 s on one worker).
export default cavraVitest({ maxWorkers: 3 });
