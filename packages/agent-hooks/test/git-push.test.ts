import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('commandActions spells out the push of the current branch in a list', () => {
  // A repository on feature/x tracking origin/feature/x, as after `git push -u origin feature/x`.
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'cavra-list-push-'));
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
    git('init', '-q', '--bare', join(repo, '.origin.git'));
    git('remote', 'add', 'origin', join(repo, '.origin.git'));
    git('checkout', '-q', '-b', 'feature/x');
    git('push', '-q', '-u', 'origin', 'feature/x');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it.each([
    [
      'git add -A && git commit -m "x y" && git push',
      'git add -A && git commit -m "x y" && git push origin feature/x',
    ],
    ['git push origin HEAD', 'git push origin feature/x'],
    [
      'npm test; git push -u origin HEAD || echo failed',
      'npm test; git push -u origin feature/x || echo failed',
    ],
    ['git commit -m x\ngit push # done', 'git commit -m x\ngit push origin feature/x # done'],
    ['git push origin feature/y && git push', 'git push origin feature/y && git push origin feature/x'],
    ['echo "git push" && git push', 'echo "git push" && git push origin feature/x'],
  ])('%s', async (command, judged) => {
    const [execute, ...pushes] = await commandActions(command, repo);
    expect(execute).toEqual({ actionType: 'execute_command', target: judged, operation: command });
    expect(pushes.at(-1)).toEqual({ actionType: 'git_push', target: 'feature/x' });
  });

  it.each([
    'cd ../other && git push',
    'git -C ../other status && git push',
    'git checkout main && git push',
    'git push; git push',
    'git push && git push origin HEAD',
    "bash -c 'git push'",
    "true && bash -c 'git push'",
    '(git push)',
    'git push | tee log',
    'git push > log',
    'GIT_DIR=.git git push && true',
    'echo "git push" && git pu""sh',
    'git push \\\n && true',
    'cat <<E\ngit push\nE',
  ])('leaves %s as sent', async (command) => {
    const [execute] = await commandActions(command, repo);
    expect(execute).toEqual({ actionType: 'execute_command', target: command });
  });

  it('leaves a push without an upstream, and HEAD on a detached HEAD, as sent', async () => {
    git('checkout', '-q', '-b', 'local');
    try {
      expect(await commandActions('true && git push', repo)).toEqual([
        { actionType: 'execute_command', target: 'true && git push' },
        { actionType: 'git_push', target: 'local' },
      ]);
      git('checkout', '-q', '--detach');
      expect(await commandActions('true && git push origin HEAD', repo)).toEqual([
        { actionType: 'execute_command', target: 'true && git push origin HEAD' },
        { actionType: 'git_push', target: 'HEAD' },
      ]);
    } finally {
      git('checkout', '-q', 'feature/x');
    }
  });
});
