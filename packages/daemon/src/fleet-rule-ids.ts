/** Policy id of the blocks fleet mode answers with when it has no policy it may decide with. */
export const FLEET_POLICY_ID = 'cavra-fleet';

/** No bundle of the channel was ever activated (and no `bootstrap_pack`), or the active one on disk does not load. */
export const NO_BUNDLE_RULE_ID = 'fleet.no_bundle';

/** The active bundle expired more than `max_staleness` ago, with `stale_action: block`. */
export const STALE_BUNDLE_RULE_ID = 'fleet.stale_bundle';
