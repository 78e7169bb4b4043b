import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { quote } from 'shell-quote';
import type { AgentAction } from './agent-request.js';
import { type GitPush, gitPushes } from './git-push.js';
import { NoDecisionError } from './no-decision-error.js';

/** A command of plain words only (no quotes, expansions or operators): its words are exactly what the shell runs. */
const PLAIN_COMMAND = /^[\w@%+=:,./ -]+$/;

/**
 * A shell command as CAVRA actions: the command itself (`execute_command`), and a `git_push` for every branch a
 * `git push` inside it would update, so that the git rules judge it too. A push without a refspec pushes the
 * current branch to its push destination (`push.default`, the upstream): both names are read from the repository
 * in `cwd`, `--all` every local branch. When that cannot be read, no decision is possible (NoDecisionError).
 *
 * The runtime judges `git push` without a refspec as a push to a protected branch, since it cannot see the current
 * branch. When such a push is the whole command and the hook has read where it goes, the command is judged as the
 * push git will make, spelled out (`git push -u` → `git push -u origin feature/login`); the request's operation
 * keeps the command as sent. Inside a longer command a bare push stays judged as the runtime reads it.
 */
export async function commandActions(command: string, cwd: string | undefined): Promise<AgentAction[]> {
  const pushes: AgentAction[] = [];
  let judged = command;
  for (const push of gitPushes(await joinedLines(command))) {
    const repository = resolve(cwd ?? process.cwd(), push.directory ?? '.');
    if (push.everyBranch) {
      const branches = await gitLines(repository, [
        'for-each-ref',
        '--format=%(refname:short)',
        'refs/heads',
      ]);
      pushes.push(...branchActions(branches, repository));
    } else if (push.refspecs.length > 0) {
      pushes.push(...branchActions(push.refspecs, repository));
    } else {
      const destination = await pushDestination(repository, push);
      pushes.push(...branchActions(destination.branches, repository));
      if (push.alone && PLAIN_COMMAND.test(command) && destination.spelled) judged = destination.spelled;
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
  /** The push with its remote and refspec spelled out; absent when the remote is not known. */
  readonly spelled?: string;
}

/** Where `git push` without a refspec goes, read with `git` (`%(push:…)` follows `push.default` and the upstream). */
async function pushDestination(repository: string, push: GitPush): Promise<PushDestination> {
  const [current] = await gitLines(repository, ['symbolic-ref', '--short', '-q', 'HEAD']);
  if (!current) return { branches: [] };
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
    ...(remote ? { spelled: quote([...push.words, ...(push.remote ? [] : [remote]), refspec]) } : {}),
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

function gitLines(cwd: string, args: readonly string[]): Promise<string[]> {
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
