import { describe, expect, it } from 'vitest';
import { commandActions, gitPushes } from '../src/index.js';

describe('gitPushes', () => {
  it.each([
    ['git push origin main', [{ refspecs: ['main'], everyBranch: false }]],
    ['git push', [{ refspecs: [], everyBranch: false }]],
    [
      'git push --force-with-lease -o ci.skip origin +HEAD:main',
      [{ refspecs: ['+HEAD:main'], everyBranch: false }],
    ],
    [
      'git -C ../app -c core.x=y push up a b',
      [{ refspecs: ['a', 'b'], everyBranch: false, directory: '../app' }],
    ],
    ['GIT_TRACE=1 env git push --all origin', [{ refspecs: [], everyBranch: true }]],
    [
      'npm test && git push origin "rel"ease/1 ; echo "git push origin main"',
      [{ refspecs: ['release/1'], everyBranch: false }],
    ],
    ['(cd x && /usr/bin/git push origin main) | tee log', [{ refspecs: ['main'], everyBranch: false }]],
    ["sh -c 'git push origin main'", [{ refspecs: ['main'], everyBranch: false }]],
    ['git push origin -- main', [{ refspecs: ['main'], everyBranch: false }]],
    ['git push origin $BRANCH', [{ refspecs: ['$BRANCH'], everyBranch: false }]],
    ['git status; git log --oneline # git push origin main', []],
    ['git pushx origin main', []],
    ['echo git push origin main > notes.txt', []],
  ])('%s', (command, pushes) => {
    expect(gitPushes(command)).toEqual(pushes);
  });
});

describe('commandActions', () => {
  it('reads a push through a line continuation as bash joins it', async () => {
    expect(await commandActions('git push origin HEAD:ma\\\nin', '.')).toEqual([
      { actionType: 'execute_command', target: 'git push origin HEAD:ma\\\nin' },
      { actionType: 'git_push', target: 'HEAD:main' },
    ]);
  });
});
