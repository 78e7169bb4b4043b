import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/**
 * git_push: the target is the branch (`main` or `refs/heads/main`); a refspec is judged by its destination, so
 * `+HEAD:refs/heads/main` (a forced push to main) is a push to `main`. A protected branch (`block_push_branches`)
 * is blocked (`git.protected_branch.block_direct_push`; with `require_pull_request` the reason says changes must
 * land through a pull request). Other branches are allowed (`git.allow`), with an attestation when
 * `require_ai_attestation` is on (`git.require_ai_attestation`).
 */
export function evaluatePush(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const branch = pushedBranch(request.target);
  if (branch === '') {
    return ruleOutcome(pack, 'request.missing_target', 'git_push request names no branch');
  }
  return pushOutcome(pack, branch, protectedIndex(pack, [branch]));
}

/**
 * git_operation (upstream's git request): the operation says what (`push`, `commit`, ...), the target where
 * (`origin/main`, `main`, `HEAD:main`). A push is blocked as upstream blocks it, when the target ends in `main` or
 * `master` whatever the pack says, and also when a branch it may name is protected by the pack; every other
 * operation is `git.allow`. An operation that names a push among other words (`push --force`) is a push, and so is
 * a request whose legacy `operation` says push while its `requested_operation` says otherwise.
 */
export function evaluateGitOperation(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const target = request.target.trim();
  const operation = request.operation.trim();
  // Upstream reads the legacy `operation` before `requested_operation`: either one naming a push makes it a push.
  if (![operation, request.legacyOperation ?? ''].some((word) => PUSH.test(word))) {
    return ruleOutcome(
      pack,
      'git.allow',
      `git ${quoteTarget(operation)} on ${quoteTarget(target)} is not restricted by policy`,
    );
  }
  if (/(?:main|master)$/.test(target)) {
    return ruleOutcome(
      pack,
      'git.protected_branch.block_direct_push',
      `pushing to ${quoteTarget(target)} is blocked: main and master are protected branches`,
    );
  }
  const branches = target
    .split(/\s+/)
    .filter((word) => word !== '' && !word.startsWith('-'))
    .map(pushedBranch)
    .flatMap((branch) => [branch, branch.slice(branch.indexOf('/') + 1)]);
  return pushOutcome(pack, target, protectedIndex(pack, branches));
}

const PUSH = /(?:^|[\s_-])push(?:$|[\s_-])/i;

/** The lowest block_push_branches index matching any of the branches (as written, or without `heads/`), or -1. */
function protectedIndex(pack: CompiledPolicyPack, branches: readonly string[]): number {
  const matcher = pack.matchers.blockPushBranches;
  let best = -1;
  for (const branch of branches) {
    // git resolves a destination that does not start with `refs/` by the rules of `git rev-parse`, so
    // `heads/main` updates `refs/heads/main` when the remote has it: judge it as `main` too.
    const index = branch.startsWith('heads/')
      ? lowest(matcher.match(branch), matcher.match(branch.slice('heads/'.length)))
      : matcher.match(branch);
    best = lowest(best, index);
  }
  return best;
}

function pushOutcome(pack: CompiledPolicyPack, branch: string, index: number): RuleOutcome {
  const { git } = pack.resolved;
  if (index >= 0) {
    const pattern = `pattern '${git.block_push_branches[index]}' (git.block_push_branches[${index}])`;
    return ruleOutcome(
      pack,
      'git.protected_branch.block_direct_push',
      git.require_pull_request
        ? `direct pushes to ${quoteTarget(branch)} are not allowed (${pattern}): open a pull request`
        : `pushing to ${quoteTarget(branch)} is blocked by ${pattern}`,
    );
  }
  if (git.require_ai_attestation) {
    return ruleOutcome(
      pack,
      'git.require_ai_attestation',
      `push to ${quoteTarget(branch)} is allowed with an AI attestation on its commits`,
    );
  }
  return ruleOutcome(pack, 'git.allow', `no git rule restricts pushing to ${quoteTarget(branch)}`);
}

function pushedBranch(target: string): string {
  const refspec = target.trim();
  const destination = refspec.slice(refspec.lastIndexOf(':') + 1).replace(/^\+/, '');
  return destination.replace(/^refs\/heads\//, '');
}

function lowest(a: number, b: number): number {
  return a < 0 || (b >= 0 && b < a) ? b : a;
}
