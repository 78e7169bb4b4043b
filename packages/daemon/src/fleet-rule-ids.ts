import type { RuleOutcome } from '@cavra/runtime';

/** Policy id of the blocks fleet mode answers with when it has no policy it may decide with. */
export const FLEET_POLICY_ID = 'cavra-fleet';

/** No bundle of the channel was ever activated (and no `bootstrap_pack`), or the active one on disk does not load. */
export const NO_BUNDLE_RULE_ID = 'fleet.no_bundle';

/** The active bundle expired more than `max_staleness` ago, with `stale_action: block`. */
export const STALE_BUNDLE_RULE_ID = 'fleet.stale_bundle';

/**
 * The evidence spool (the segmented log the shipper reads) holds spool_max_bytes, with `on_spool_full: block`: the
 * daemon blocks, and records it, rather than drop evidence it cannot ship.
 */
export const SPOOL_FULL_RULE_ID = 'fleet.spool_full';

/** The block fleet mode answers with, recorded like any decision, when it may not decide with its policy. */
export function fleetBlock(ruleId: string, reason: string): RuleOutcome {
  return {
    decision: 'block',
    policyId: FLEET_POLICY_ID,
    ruleId,
    severity: 'critical',
    reason,
    evidenceRefs: [],
    approverGroup: '',
  };
}
