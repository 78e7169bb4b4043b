import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { type PushDestinations, pushDestinations, refspecDestination } from './git-refspec.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/**
 * git_push: the target is what is pushed, read as git reads it (see git-refspec): a branch or refspec (`main`,
 * `refs/heads/main`, `+HEAD:main`, `origin/main`), or push arguments (`origin main`, `-f main`, `--all`). A
 * protected branch (`block_push_branches`) is blocked (`git.protected_branch.block_direct_push`; with
 * `require_pull_request` the reason says changes must land through a pull request), and so is a push whose
 * destination cannot be known (the current branch, a glob, every branch). Other branches are allowed (`git.allow`),
 * with an attestation when `require_ai_attestation` is on (`git.require_ai_attestation`).
 */
export function evaluatePush(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const target = request.target.trim();
  if (target === '') {
    return ruleOutcome(pack, 'request.missing_target', 'git_push request names no branch');
  }
  return pushOutcome(targetDestinations(target), pack, target);
}

/**
 * git_operation (upstream's git request): the operation says what (`push`, `commit`, ...), the target where
 * (`origin/main`, `main`, `HEAD:main`). A push is blocked as upstream blocks it, when the target ends in `main` or
 * `master` whatever the pack says, and also when a branch it may name is protected by the pack or cannot be known
 * (read as for git_push); every other operation is `git.allow`. An operation that names a push among other words
 * (`push --force`) is a push, and so is a request whose legacy `operation` says push while its
 * `requested_operation` says otherwise.
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
  return pushOutcome(targetDestinations(target), pack, target);
}

const PUSH = /(?:^|[\s_-])push(?:$|[\s_-])/i;

/** One word is a refspec; several are `git push` arguments without a repository slot (`-f main`, `origin main`). */
function targetDestinations(target: string): PushDestinations {
  const words = target.split(/\s+/);
  return words.length === 1 && !target.startsWith('-')
    ? refspecDestination(target)
    : pushDestinations(words, false);
}

/**
 * The decision on a push to these destinations: the first protected one blocks, and so does one that cannot be
 * known, as strictly as a protected branch (the reason says why).
 */
export function pushOutcome(
  destinations: PushDestinations,
  pack: CompiledPolicyPack,
  target: string,
): RuleOutcome {
  const { git } = pack.resolved;
  if (!destinations.known) {
    return ruleOutcome(
      pack,
      'git.protected_branch.block_direct_push',
      `${destinations.why}: pushes are judged as if to a protected branch`,
    );
  }
  const matcher = pack.matchers.blockPushBranches;
  for (const branch of destinations.branches) {
    const index = matcher.match(branch);
    if (index < 0) continue;
    const pattern = `pattern '${git.block_push_branches[index]}' (git.block_push_branches[${index}])`;
    return ruleOutcome(
      pack,
      'git.protected_branch.block_direct_push',
      git.require_pull_request
        ? `direct pushes to ${quoteTarget(branch)} are not allowed (${pattern}): open a pull request`
        : `pushing to ${quoteTarget(branch)} is blocked by ${pattern}`,
    );
  }
  // One name for a plain branch (`refs/heads/x` is `x`); the words as given for anything else.
  const pushed = destinations.branches.length === 1 ? (destinations.branches[0] as string) : target;
  if (git.require_ai_attestation) {
    return ruleOutcome(
      pack,
      'git.require_ai_attestation',
      `push to ${quoteTarget(pushed)} is allowed with an AI attestation on its commits`,
    );
  }
  return ruleOutcome(pack, 'git.allow', `no git rule restricts pushing to ${quoteTarget(pushed)}`);
}
