import { resolve } from 'node:path';
import { quote } from 'shell-quote';
import type { AgentAction } from './agent-request.js';
import { type GitPush, gitPushes, spelledPush } from './git-push.js';
import { NoDecisionError } from './no-decision-error.js';

/** A command of plain words only (no quotes, expansions or operators): its words are exactly what the shell runs. */
const PLAIN_COMMAND = /^[\w@%+=:,./ -]+$/;
const PLAIN_WORD = /^[\w@%+=:,./-]+$/;

/**
 * A shell command as CAVRA actions: the command itself (`execute_command`), and a `git_push` for every branch a
 * `git push` inside it would update, so that the git rules judge it too. A push without a refspec pushes the
 * current branch to its push destination (`push.default`, the upstream): both names are read from the repository
 * in `cwd`, `--all` every local branch. When that cannot be read, no decision is possible (NoDecisionError).
 *
 * The runtime judges `git push` without a refspec, or with `HEAD` as its refspec, as a push to a protected branch,
 * since it cannot see the current branch. When the hook has read where such a push goes, and the push is the whole
 * command in plain words, or one plain simple command of the command's list (`git add -A && git commit -m x && git
 * push`) after nothing that may change the repository or branch (a `cd`, `git -C`, `git checkout`: see
 * repository-switches) and the only such push, its text is replaced by the push git will make, spelled out (`git push
 * -u` → `git push -u origin feature/login`, `git push origin HEAD` → `git push origin feature/login`); the request's
 * operation keeps the command as sent. Anywhere else the push stays judged as the runtime reads it.
 */
export async function commandActions(command: string, cwd: string | undefined): Promise<AgentAction[]> {
  const pushes: AgentAction[] = [];
  const joined = await joinedLines(command);
  const found = gitPushes(joined);
  const current = found.filter(pushesCurrentBranch);
  let judged = command;
  for (const push of found) {
    const repository = resolve(cwd ?? process.cwd(), push.directory ?? '.');
    if (push.everyBranch) {
      const branches = await gitLines(repository, [
        'for-each-ref',
        '--format=%(refname:short)',
        'refs/heads',
      ]);
      pushes.push(...branchActions(branches, repository));
    } else if (push.refspecs.length > 0 && !pushesCurrentBranch(push)) {
      pushes.push(...branchActions(push.refspecs, repository));
    } else {
      // `HEAD` on a detached HEAD (no current branch to read) is judged as written: blocked, as the runtime reads it.
      const destination =
        push.refspecs.length > 0
          ? await pushDestination(repository, push).catch(() => ({ branches: [] }) as PushDestination)
          : await pushDestination(repository, push);
      pushes.push(
        ...branchActions(destination.branches.length > 0 ? destination.branches : push.refspecs, repository),
      );
      if (!destination.spelled || current.length !== 1 || push.configured) continue;
      if (push.alone && PLAIN_COMMAND.test(command)) judged = quote(destination.spelled);
      else if (
        joined === command &&
        [...push.words, ...destination.spelled].every((word) => PLAIN_WORD.test(word))
      ) {
        judged = spelledPush(command, push, destination.spelled) ?? judged;
      }
    }
  }
  return [
    {
      actionType: 'execute_command',
      target: judged,
      ...(judged !== command ? { operation: command } : {}),
    },
    ...pushes,
  ];
}

/** A push of the current branch: no refspec (to its push destination), or `HEAD` (to its own name) after a remote. */
function pushesCurrentBranch(push: GitPush): boolean {
  if (push.everyBranch) return false;
  return push.refspecs.length === 0 || (push.refspecs.length === 1 && push.refspecs[0] === 'HEAD');
}

function branchActions(refspecs: readonly string[], repository: string): AgentAction[] {
  if (refspecs.length === 0) {
    throw new NoDecisionError(
      'invalid_payload',
      `cannot tell which branch \`git push\` pushes in ${repository}`,
    );
  }
  return refspecs.map((target) => ({ actionType: 'git_push', target }));
}

interface PushDestination {
  /** The branches a bare push may update: the current branch, and its push destination's name on the remote. */
  readonly branches: readonly string[];
  /** The push's words with its remote and refspec spelled out; absent when the remote is not known. */
  readonly spelled?: readonly string[];
}

/**
 * Where `git push` without a refspec goes, read with `git` (`%(push:…)` follows `push.default` and the upstream);
 * `git push <remote> HEAD` pushes the current branch to the same name (git-push(1), EXAMPLES).
 */
async function pushDestination(repository: string, push: GitPush): Promise<PushDestination> {
  const [current] = await gitLines(repository, ['symbolic-ref', '--short', '-q', 'HEAD']);
  if (!current) return { branches: [] };
  if (push.refspecs.length > 0) {
    const at = push.words.lastIndexOf('HEAD');
    return {
      branches: [current],
      ...(push.remote ? { spelled: push.words.map((word, index) => (index === at ? current : word)) } : {}),
    };
  }
  const [configured = ''] = await gitLines(repository, [
    'for-each-ref',
    '--format=%(push:remotename) %(push:remoteref)',
    `refs/heads/${current}`,
  ]);
  const [remoteName = '', remoteRef = ''] = configured.split(' ');
  const remoteBranch = remoteRef.startsWith('refs/heads/') ? remoteRef.slice('refs/heads/'.length) : current;
  const remote = push.remote ?? remoteName;
  const refspec = remoteBranch === current ? current : `${current}:refs/heads/${remoteBranch}`;
  return {
    branches: [...new Set([current, remoteBranch])],
    ...(remote ? { spelled: [...push.words, ...(push.remote ? [] : [remote]), refspec] } : {}),
  };
}

/**
 * The command with its line continuations joined as bash joins them (`git push origin ma\⏎in` pushes main), read
 * by the runtime's shell parser as the command rules read it; loaded only for text that has one.
 */
async function joinedLines(command: string): Promise<string> {
  if (!command.includes('\\\n')) return command;
  const { joinLineContinuations, loadShellParser } = await import('@cavra/runtime');
  await loadShellParser();
  return joinLineContinuations(command);
}

async function gitLines(cwd: string, args: readonly string[]): Promise<string[]> {
  // Loaded here: only a push that names no branch asks git, and node:child_process is a share of every hook's start.
  const { execFile } = await import('node:child_process');
  return new Promise((done, fail) => {
    execFile('git', args, { cwd, timeout: 5000, maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) {
        fail(
          new NoDecisionError(
            'invalid_payload',
            `cannot tell which branch \`git push\` pushes in ${cwd}: git ${args[0]} failed`,
            { cause: error },
          ),
        );
      } else {
        done(
          stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        );
      }
    });
  });
}
