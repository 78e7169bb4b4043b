import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { AgentAction } from './agent-request.js';
import { gitPushes } from './git-push.js';
import { NoDecisionError } from './no-decision-error.js';

/**
 * A shell command as CAVRA actions: the command itself (`execute_command`), and a `git_push` for every branch a
 * `git push` inside it would update, so that the git rules judge it too (the runtime's command rules do not).
 * A push without a refspec pushes the current branch, `--all` every local branch: both are read from the
 * repository in `cwd`. When that cannot be read, no decision is possible (NoDecisionError).
 */
export async function commandActions(command: string, cwd: string | undefined): Promise<AgentAction[]> {
  const actions: AgentAction[] = [{ actionType: 'execute_command', target: command }];
  for (const push of gitPushes(await joinedLines(command))) {
    const repository = resolve(cwd ?? process.cwd(), push.directory ?? '.');
    const refspecs = push.everyBranch
      ? await gitLines(repository, ['for-each-ref', '--format=%(refname:short)', 'refs/heads'])
      : push.refspecs.length > 0
        ? push.refspecs
        : await gitLines(repository, ['symbolic-ref', '--short', '-q', 'HEAD']);
    if (refspecs.length === 0) {
      throw new NoDecisionError(
        'invalid_payload',
        `cannot tell which branch \`git push\` pushes in ${repository}`,
      );
    }
    for (const refspec of refspecs) actions.push({ actionType: 'git_push', target: refspec });
  }
  return actions;
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
