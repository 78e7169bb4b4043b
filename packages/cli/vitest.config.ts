import { mergeConfig } from 'vitest/config';
import { cavraVitest } from '../../tooling/vitest.base.js';

// Every test runs the built bin, often several times in a row (the README walkthrough runs nine commands, each a
// fresh Node process): on a loaded machine that takes longer than the shared 30 s. The files mostly wait on those
// processes, and one of them (issue 20's 200 approval round trips) takes minutes: three files at a time.
export default mergeConfig(cavraVitest({ maxWorkers: 3 }), { test: { testTimeout: 120_000 } });
