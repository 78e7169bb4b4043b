import { mergeConfig } from 'vitest/config';
import { cavraVitest } from '../../tooling/vitest.base.js';

// Every test runs the built bin, often several times in a row (the README walkthrough runs nine commands, each a
// fresh Node process): on a loaded machine that takes longer than the shared 30 s.
export default mergeConfig(cavraVitest(), { test: { testTimeout: 120_000 } });
