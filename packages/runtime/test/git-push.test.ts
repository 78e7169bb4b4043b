import { beforeAll, describe, expect, it } from 'vitest';
import { pushDestinations, refspecDestination } from '../src/git-refspec.js';
import { type Engine, loadBaselinePack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

let engine: Engine;
beforeAll(async () => {
  engine = exactEngine([await loadBaselinePack()]);
});

// Both are upstream's block of a direct push to a protected branch; an unknowable destination says so in the reason.
const PROTECTED = 'protected';
const UNKNOWN = 'unknown';
const ALLOWED = 'allowed';
const COMMAND_APPROVAL = 'commands.default.require_approval';

/** What a decision says of a push: a protected branch, a destination the words cannot tell, or allowed. */
function pushKind(decision: { decision: string; ruleId: string; reason: string }): string {
  if (decision.ruleId === 'git.allow') return ALLOWED;
  if (decision.ruleId !== 'git.protected_branch.block_direct_push' || decision.decision !== 'block') {
    return `${decision.decision} ${decision.ruleId}`;
  }
  return decision.reason.endsWith('pushes are judged as if to a protected branch') ? UNKNOWN : PROTECTED;
}

// [git_push target, rule id]: the baseline protects main, master and release/*.
const TARGETS: readonly (readonly [string, string])[] = [
  ['main', PROTECTED],
  ['refs/heads/main', PROTECTED],
  ['heads/main', PROTECTED],
  ['+HEAD:refs/heads/main', PROTECTED],
  ['origin HEAD:main', PROTECTED],
  ['origin main', PROTECTED],
  ['origin/main', PROTECTED],
  ['origin/release/1.0', PROTECTED],
  ['-f main', PROTECTED],
  ['--force main', PROTECTED],
  ['--force-with-lease=main origin main', PROTECTED],
  ['-d main', PROTECTED],
  ['origin :main', PROTECTED],
  ['origin feature/x main', PROTECTED],
  ['-o ci.skip main', PROTECTED],
  ['refs/heads/*:refs/heads/*', UNKNOWN],
  ['*:*', UNKNOWN],
  ['origin +refs/heads/*:refs/heads/*', UNKNOWN],
  ['--all', UNKNOWN],
  ['--branches origin', UNKNOWN],
  ['--mirror', UNKNOWN],
  ['origin HEAD', UNKNOWN],
  ['@', UNKNOWN],
  ['HEAD~1', UNKNOWN],
  [':', UNKNOWN],
  ['HEAD:', UNKNOWN],
  ['--force', UNKNOWN],
  ['--frobnicate main', UNKNOWN],
  ['feature/x', ALLOWED],
  ['origin feature/x', ALLOWED],
  ['+feature:feature', ALLOWED],
  ['refs/tags/v1.0', ALLOWED],
  ['origin refs/for/main', ALLOWED],
  ['--tags', ALLOWED],
];

describe('git_push targets read as git reads them', () => {
  it.each(TARGETS)('%j -> %s', (target, kind) => {
    expect(pushKind(engine.evaluate(request('git_push', target)))).toBe(kind);
  });

  it('says why a destination cannot be known', () => {
    expect(engine.evaluate(request('git_push', '--all')).reason).toBe(
      "'--all' pushes every branch: pushes are judged as if to a protected branch",
    );
    expect(engine.evaluate(request('git_push', 'refs/heads/*:refs/heads/*')).reason).toBe(
      "refspec 'refs/heads/*:refs/heads/*' is a pattern that may match any branch: pushes are judged as if to a protected branch",
    );
  });
});

// [command, what is decided]: `git push` inside a command is judged like a git_push request.
const COMMANDS: readonly (readonly [string, string])[] = [
  // The baseline's own block list names this push.
  ['git push origin main', 'block commands.block'],
  // The baseline's own block list names this push.
  ['git push -f origin main', 'block commands.block'],
  ['git push origin HEAD:refs/heads/main', PROTECTED],
  ['git -C repo push origin master', PROTECTED],
  ['git -c push.default=current push', UNKNOWN],
  ['npm test && git push', UNKNOWN],
  ['git push --all', UNKNOWN],
  ['git push --mirror backup', UNKNOWN],
  ["git push origin 'refs/heads/*:refs/heads/*'", UNKNOWN],
  ['env GIT_TRACE=1 git push origin release/2.0', PROTECTED],
  // The baseline's own block list names this push.
  ["sh -c 'git push origin main'", 'block commands.block'],
  ["git -c alias.p='push origin main' p", UNKNOWN],
  ['git -c alias.l=log l', `require_approval ${COMMAND_APPROVAL}`],
  ['git push -u origin feature/x', `require_approval ${COMMAND_APPROVAL}`],
  ['git log --grep=push', `require_approval ${COMMAND_APPROVAL}`],
];

describe('git push inside commands', () => {
  it.each(COMMANDS)('%j -> %s', (command, kind) => {
    expect(pushKind(engine.evaluate(request('execute_command', command)))).toBe(kind);
  });
});

describe('refspec reading', () => {
  it('reads both names of a destination that may be remote-tracking or a short ref', () => {
    expect(refspecDestination('HEAD:origin/main')).toEqual({
      known: true,
      branches: ['origin/main', 'main'],
    });
    expect(refspecDestination('+refs/heads/x:refs/heads/y')).toEqual({ known: true, branches: ['y'] });
  });

  it('skips option values and reads every positional word as a refspec', () => {
    expect(pushDestinations(['--push-option', 'main', 'origin', 'feature'])).toEqual({
      known: true,
      branches: ['origin', 'feature'],
    });
    expect(pushDestinations(['--repo=origin', 'feature'])).toEqual({ known: true, branches: ['feature'] });
  });
});
