import { describe, expect, it } from 'vitest';
import { driveSession } from './session/drive-session.mjs';

// A 67-call Claude Code session (test/session/claude-code-session.json) through the real hook, in a project set up
// by `cavra-hook init claude-code`, against the daemon started from the config init wrote.
describe('a realistic Claude Code session', () => {
  it.each([
    ['baseline', { allow: 23, ask: 29, deny: 5, 'no opinion': 10, 'no decision': 0 }],
    ['developer', { allow: 46, ask: 6, deny: 5, 'no opinion': 10, 'no decision': 0 }],
  ])(
    'under the %s profile: %j',
    async (profile, tally) => {
      const run = await driveSession(profile);
      expect(run.calls).toHaveLength(67);
      // Nothing is denied for want of a decision (configuration), only by a rule of the pack.
      for (const call of run.calls.filter((each) => each.outcome === 'deny')) {
        expect(call.reason).toMatch(
          /^CAVRA block \((filesystem\.read\.block|commands\.block|mcp\.server\.trust\.block_unknown)\): /,
        );
      }
      expect(run.calls.filter((call) => call.outcome === 'deny').map((call) => call.note)).toEqual([
        'the agent looks for the config values (a secret)',
        'searches secrets by glob',
        'the agent tries main',
        'risky install',
        'MCP pull request',
      ]);
      expect(run.tally).toEqual(tally);
    },
    120_000,
  );
});
