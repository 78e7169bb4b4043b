import { cavraVitest } from '../../tooling/vitest.base.js';

// Its files wait on hook processes, sandboxes and daemons more than they compute (38 s of CPU in 306 s on one worker).
export default cavraVitest({ maxWorkers: 3 });
