import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { normalizePath } from './path-pattern.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';

/** read_file: blocked by `filesystem.block_read`, otherwise allowed. */
export function evaluateRead(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const path = normalizePath(request.target);
  const blocked = pack.matchers.blockRead.match(path);
  if (blocked >= 0) {
    const pattern = pack.resolved.filesystem.block_read[blocked];
    return packOutcome(
      pack,
      'block',
      `filesystem.block_read[${blocked}]`,
      `reading ${quoteTarget(path)} is blocked by pattern '${pattern}'`,
    );
  }
  return packOutcome(
    pack,
    'allow',
    'filesystem.read_default',
    `no filesystem rule blocks reading ${quoteTarget(path)}`,
  );
}

/** write_file: `block_write` beats `require_approval_write`; otherwise allowed. */
export function evaluateWrite(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const path = normalizePath(request.target);
  const blocked = pack.matchers.blockWrite.match(path);
  if (blocked >= 0) {
    const pattern = pack.resolved.filesystem.block_write[blocked];
    return packOutcome(
      pack,
      'block',
      `filesystem.block_write[${blocked}]`,
      `writing ${quoteTarget(path)} is blocked by pattern '${pattern}'`,
    );
  }
  const gated = pack.matchers.requireApprovalWrite.match(path);
  if (gated >= 0) {
    const pattern = pack.resolved.filesystem.require_approval_write[gated];
    return packOutcome(
      pack,
      'require_approval',
      `filesystem.require_approval_write[${gated}]`,
      `writing ${quoteTarget(path)} requires approval (pattern '${pattern}')`,
    );
  }
  return packOutcome(
    pack,
    'allow',
    'filesystem.write_default',
    `no filesystem rule restricts writing ${quoteTarget(path)}`,
  );
}
