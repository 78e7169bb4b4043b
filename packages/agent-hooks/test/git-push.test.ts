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
    // The words, remote and where the push sits are for commandActions' rewrite; checked below.
    expect(
      gitPushes(command).map(({ refspecs, everyBranch, directory }) => ({
        refspecs,
        everyBranch,
        ...(directory !== undefined ? { directory } : {}),
      })),
    ).toEqual(pushes);
  });

  it('names the remote, the words, and whether the push is the whole command', () => {
    expect(gitPushes('git push -u origin')).toEqual([
      {
        refspecs: [],
        everyBranch: false,
        remote: 'origin',
        words: ['git', 'push', '-u', 'origin'],
        alone: true,
        configured: false,
        listed: true,
        at: 0,
      },
    ]);
    expect(gitPushes("npm test && git push; bash -c 'git push'").map((push) => push.alone)).toEqual([
      false,
      false,
    ]);
    expect(gitPushes("bash -c 'git push'").map((push) => push.alone)).toEqual([false]);
  });
});

describe('a push as one simple command of a list', () => {
  it.each([
    ['git add -A && git commit -m "x y" && git push', [true]],
    ['npm test || true; git push -u origin HEAD', [true]],
    ['git add -A\ngit commit -m x\ngit push', [true]],
    ['git commit -m "$(date)" && git push', [true]],
    ['(make) && git push', [true]],
    // Something before it may change the repository or the branch it pushes.
    ['cd ../other && git push', [false]],
    ['pushd ../other; git push', [false]],
    ['git -C ../other status && git push', [false]],
    ['git checkout main && git merge x && git push', [false]],
    ['export GIT_DIR=../other/.git; git push', [false]],
    ['GIT_DIR=../other/.git; git push', [false]],
    ["bash -c 'cd ..' && git push", [false]],
    ['echo $(git switch main) && git push', [false]],
    // Not a list element of its own.
    ['git push | tee log', [false]],
    ['make |\ngit push', [false]],
    ['(git push)', [false]],
    ['make && (git push)', [false]],
    ['git push &', [false]],
    ['make & git push', [false]],
    ['echo $(git push)', [false]],
    ['git push > log', [false]],
    ["bash -c 'git push'", [false]],
    ['git push; git push', [true, true]],
  ])('%s', (command, listed) => {
    expect(gitPushes(command).map((push) => push.listed)).toEqual(listed);
  });

  it('finds the push after a newline only when the newline is outside quotes', () => {
    expect(gitPushes('echo "a\ngit push" && git push origin x').map((push) => push.refspecs)).toEqual([
      ['x'],
    ]);
    expect(gitPushes('git add -A\ngit push origin x').map((push) => push.at)).toEqual([4]);
  });

  it('knows a push configured by a variable or a git option other than -C', () => {
    expect(
      ['git -C a push', 'GIT_DIR=x git push', 'git -c push.default=current push', 'git --git-dir=x push'].map(
        (command) => gitPushes(command)[0]?.configured,
      ),
    ).toEqual([false, true, true, true]);
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
