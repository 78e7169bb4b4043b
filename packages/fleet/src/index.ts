export { APPROVALS_MAX_AGE_MS, OUTCOME_SUBJECT_PREFIX } from './approval-keys.js';
export { type BundlePack, FLEET_BUNDLE_SCHEMA, type FleetBundle } from './bundle-document.js';
export { type BundleHead, type BundleStoreConnection, readBundleHead } from './bundle-store.js';
export { type ChannelTrust, type InitChannelTrustOptions, initChannelTrust } from './channel-trust.js';
export { type ConnectFleetOptions, connectFleet, type Fleet } from './connect-fleet.js';
export {
  type FetchVerifiedBundleOptions,
  fetchVerifiedBundle,
  type VerifiedBundle,
} from './fetch-verified-bundle.js';
export { type FleetApprovalStoreOptions, openFleetApprovalStore } from './fleet-approval-store.js';
export { FLEET_BUCKETS } from './fleet-buckets.js';
export type { FleetConnectionOptions } from './fleet-connection-options.js';
export { FLEET_ERROR_CODES, FleetError, type FleetErrorCode, isFleetErrorCode } from './fleet-error.js';
export {
  BUNDLE_STATES,
  type BundleState,
  DAEMON_KINDS,
  type DaemonKind,
  type DaemonSnapshot,
  HEARTBEAT_SCHEMA,
  type Heartbeat,
} from './heartbeat.js';
export { toFleetError } from './nats-failure.js';
export {
  approvalPermissions,
  daemonPermissions,
  mergePermissions,
  type NatsPermissions,
  statusReaderPermissions,
} from './nats-permissions.js';
export { type PublishBundleOptions, type PublishedBundle, publishBundle } from './publish-bundle.js';
export {
  type ChannelStatus,
  type DaemonStatus,
  type FleetStatus,
  type ReadFleetStatusOptions,
  readFleetStatus,
} from './read-fleet-status.js';
export { type ResignChannelOptions, type ResignedChannel, resignChannel } from './resign-channel.js';
export {
  type RotateChannelKeysOptions,
  type RotatedChannelKeys,
  rotateChannelKeys,
} from './rotate-channel-keys.js';
export { type HeartbeatHandle, type HeartbeatOptions, startHeartbeat } from './start-heartbeat.js';
export { DEFAULT_EXPIRY_DAYS, type TufExpiryDays } from './tuf-expiry.js';
export { TUF_ROLES, type TufRole } from './tuf-keys.js';
