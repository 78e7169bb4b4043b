export { APPROVALS_MAX_AGE_MS, OUTCOME_SUBJECT_PREFIX } from './approval-keys.js';
export { type BundlePack, FLEET_BUNDLE_SCHEMA, type FleetBundle } from './bundle-document.js';
export {
  type BundleHead,
  type BundleReads,
  type BundleStoreConnection,
  readBundleHead,
} from './bundle-store.js';
export { type ChannelTrust, type InitChannelTrustOptions, initChannelTrust } from './channel-trust.js';
export { type ConnectFleetOptions, connectFleet, type Fleet } from './connect-fleet.js';
export {
  EVIDENCE_ALERT_PROBLEMS,
  EVIDENCE_ALERT_SCHEMA,
  type EvidenceAlert,
  type EvidenceAlertProblem,
  isEvidenceAlertProblem,
} from './evidence-alert.js';
export {
  type EvidenceBatchRefusal,
  type EvidenceMessage,
  type EvidenceRecordFields,
  type ReceivedEvidenceBatch,
  readEvidenceBatch,
} from './evidence-batch.js';
export {
  EVIDENCE_ALERT_SUBJECTS,
  EVIDENCE_ALERTS_STREAM,
  EVIDENCE_BATCH_LIMITS,
  EVIDENCE_BUCKETS,
  EVIDENCE_HEADERS,
  EVIDENCE_STREAM,
  EVIDENCE_SUBJECTS,
  EVIDENCE_VERIFIER_CONSUMER,
  type EvidenceBatchId,
  type EvidenceHead,
  type EvidenceResendRequest,
  evidenceAlertSubject,
  evidenceEpoch,
  evidenceMsgId,
  evidenceSubject,
} from './evidence-names.js';
export { evidenceReaderPermissions, evidenceVerifierPermissions } from './evidence-permissions.js';
export {
  EVIDENCE_RECEIPT_SCHEMA,
  type EvidenceReceipt,
  type ReceiptKey,
  receiptKeyId,
  signEvidenceReceipt,
  verifyEvidenceReceipt,
} from './evidence-receipt.js';
export { readShipCursor, SHIP_CURSOR_SCHEMA, type ShipCursor } from './evidence-ship-cursor.js';
export {
  type EvidenceBatch,
  type EvidenceSource,
  type ShipperHandle,
  type ShipperLogger,
  type ShipperOptions,
  type ShipperState,
  startShipper,
} from './evidence-shipper.js';
export {
  checkEvidenceStream,
  createEvidenceStreams,
  type EvidenceConnection,
  openEvidenceBucket,
} from './evidence-streams.js';
export {
  type CheckEvidenceBatch,
  type EvidenceBatchCheck,
  type EvidenceBatchToCheck,
  type EvidenceChainPosition,
  type EvidenceChainProblem,
  type EvidenceVerifierCounts,
  type EvidenceVerifierEvent,
  type EvidenceVerifierHandle,
  type EvidenceVerifierOptions,
  startEvidenceVerifier,
} from './evidence-verifier.js';
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
  type HeartbeatShipping,
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
export { type EvidenceQuery, type QueriedEvidenceRecord, readEvidence } from './read-evidence.js';
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
export { shippingLag } from './shipping-lag.js';
export { type HeartbeatHandle, type HeartbeatOptions, startHeartbeat } from './start-heartbeat.js';
export { DEFAULT_EXPIRY_DAYS, type TufExpiryDays } from './tuf-expiry.js';
export { TUF_ROLES, type TufRole } from './tuf-keys.js';
