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
    // The words and whether the push is alone are for commandActions' rewrite; checked below.
    expect(gitPushes(command).map(({ words: _, alone: __, remote: ___, ...push }) => push)).toEqual(pushes);
  });

  it('names the remote, the words, and whether the push is the whole command', () => {
    expect(gitPushes('git push -u origin')).toEqual([
      {
        refspecs: [],
        everyBranch: false,
        remote: 'origin',
        words: ['git', 'push', '-u', 'origin'],
        alone: true,
      },
    ]);
    expect(gitPushes("npm test && git push; bash -c 'git push'").map((push) => push.alone)).toEqual([
      false,
      false,
    ]);
    expect(gitPushes("bash -c 'git push'").map((push) => push.alone)).toEqual([false]);
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
