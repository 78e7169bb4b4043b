/**
 * The JetStream buckets of fleet mode (fixed names: NATS permissions and docs/fleet.md name them).
 * KV bucket names become the stream `KV_<name>`, Object Stores `OBJ_<name>`.
 */
export const FLEET_BUCKETS = {
  /** Object Store: per channel, TUF metadata `<channel>/metadata/...` and targets `<channel>/targets/<name>`. */
  bundles: 'cavra_bundles',
  /** KV, key = channel: `{ revision, target }`, the wake-up signal for followers (trust comes from TUF). */
  bundleHeads: 'cavra_bundle_heads',
  /** KV, key = daemon id: each daemon's heartbeat. */
  fleetStatus: 'cavra_fleet_status',
  /** KV: approval requests, used review ids and the grant index (`openFleetApprovalStore`, approval-keys.ts). */
  approvals: 'cavra_approvals',
} as const;
