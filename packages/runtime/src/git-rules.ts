import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';

/**
 * git_push: the target is the branch (`main` or `refs/heads/main`); a refspec is judged by its destination, so
 * `+HEAD:refs/heads/main` (a forced push to main) is a push to `main`. A protected branch (`block_push_branches`)
 * is blocked; with `require_pull_request` the reason says changes must land through a pull request. Other
 * branches are allowed, with an attestation when `require_ai_attestation` is on.
 */
export function evaluatePush(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const branch = pushedBranch(request.target);
  if (branch === '') {
    return packOutcome(pack, 'block', 'request.missing_target', 'git_push request names no branch');
  }
  // git resolves a destination that does not start with `refs/` by the rules of `git rev-parse`, so `heads/main`
  // updates `refs/heads/main` when the remote has it: judge it as `main` too.
  const matcher = pack.matchers.blockPushBranches;
  const index = branch.startsWith('heads/')
    ? lowest(matcher.match(branch), matcher.match(branch.slice('heads/'.length)))
    : matcher.match(branch);
  if (index >= 0) {
    const pattern = pack.resolved.git.block_push_branches[index];
    return pack.resolved.git.require_pull_request
      ? packOutcome(
          pack,
          'block',
          'git.require_pull_request',
          `direct pushes to ${quoteTarget(branch)} are not allowed (pattern '${pattern}'): open a pull request`,
        )
      : packOutcome(
          pack,
          'block',
          `git.block_push_branches[${index}]`,
          `pushing to ${quoteTarget(branch)} is blocked by pattern '${pattern}'`,
        );
  }
  if (pack.resolved.git.require_ai_attestation) {
    return packOutcome(
      pack,
      'allow_with_attestation',
      'git.require_ai_attestation',
      `push to ${quoteTarget(branch)} is allowed with an AI attestation on its commits`,
    );
  }
  return packOutcome(
    pack,
    'allow',
    'git.push_default',
    `no git rule restricts pushing to ${quoteTarget(branch)}`,
  );
}

function pushedBranch(target: string): string {
  const refspec = target.trim();
  const destination = refspec.slice(refspec.lastIndexOf(':') + 1).replace(/^\+/, '');
  return destination.replace(/^refs\/heads\//, '');
}

function lowest(a: number, b: number): number {
  return a < 0 || (b >= 0 && b < a) ? b : a;
}
