import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { normalizePath, type PathMatcher } from './path-pattern.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/** read_file: blocked by `filesystem.block_read` (`filesystem.read.block`), otherwise `filesystem.read.allow`. */
export function evaluateRead(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const path = normalizePath(request.target);
  const blocked = matchTarget(pack.matchers.blockRead, request.target, path);
  if (blocked >= 0) {
    return ruleOutcome(
      pack,
      'filesystem.read.block',
      `reading ${quoteTarget(path)} is blocked by pattern '${pack.resolved.filesystem.block_read[blocked]}' (filesystem.block_read[${blocked}])`,
    );
  }
  return ruleOutcome(pack, 'filesystem.read.allow', `no filesystem rule blocks reading ${quoteTarget(path)}`);
}

/** write_file: `block_write` beats `require_approval_write`; otherwise `filesystem.write.allow`. */
export function evaluateWrite(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const path = normalizePath(request.target);
  const blocked = matchTarget(pack.matchers.blockWrite, request.target, path);
  if (blocked >= 0) {
    return ruleOutcome(
      pack,
      'filesystem.write.block',
      `writing ${quoteTarget(path)} is blocked by pattern '${pack.resolved.filesystem.block_write[blocked]}' (filesystem.block_write[${blocked}])`,
    );
  }
  const gated = matchTarget(pack.matchers.requireApprovalWrite, request.target, path);
  if (gated >= 0) {
    return ruleOutcome(
      pack,
      'filesystem.write.require_approval',
      `writing ${quoteTarget(path)} requires approval (pattern '${pack.resolved.filesystem.require_approval_write[gated]}', filesystem.require_approval_write[${gated}])`,
    );
  }
  return ruleOutcome(
    pack,
    'filesystem.write.allow',
    `no filesystem rule restricts writing ${quoteTarget(path)}`,
  );
}

/**
 * The first pattern matching the normalised path or the target as sent: upstream matches the raw target, so
 * `iam/../x` must still meet `iam/**` here, while normalising catches `./.env` and `/repo/.env`.
 */
function matchTarget(matcher: PathMatcher, raw: string, normalized: string): number {
  const a = matcher.match(normalized);
  const b = raw === normalized ? -1 : matcher.match(raw);
  return a < 0 || (b >= 0 && b < a) ? b : a;
}
