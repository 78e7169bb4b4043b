export { type ConnectFleetOptions, connectFleet, type Fleet } from './connect-fleet.js';
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
export {
  type ChannelStatus,
  type DaemonStatus,
  type FleetStatus,
  type ReadFleetStatusOptions,
  readFleetStatus,
} from './read-fleet-status.js';
export { type HeartbeatHandle, type HeartbeatOptions, startHeartbeat } from './start-heartbeat.js';
