export type { FleetHealthReport, FleetSpoolHealth, HealthReport } from '@cavra/daemon-client';
export { APPROVAL_REF_SCHEME, APPROVAL_RULE_IDS, approvalRef } from './approval-ref.js';
export { loadReviewVerification, type ReviewVerification } from './approval-verification.js';
export type { ApprovalGroupConfig, ApprovalsConfig } from './approvals-config.js';
export { DAEMON_VERSION, type Daemon, type DaemonOptions, startDaemon } from './daemon.js';
export {
  type DaemonConfig,
  DaemonConfigError,
  type DaemonLimits,
  DEFAULT_LIMITS,
  defaultSocketPath,
  loadDaemonConfig,
  resolveDaemonConfig,
} from './daemon-config.js';
export { DAEMON_ID_PATTERN, daemonIdPath, enrollDaemon, readDaemonId } from './daemon-identity.js';
export { DAEMON_POLICY_ID, RUNNER_AUTH_POLICY_ID, RUNNER_AUTH_RULE_ID } from './decide-request.js';
export { EvidenceLog, type EvidenceLogOptions, type SpoolLayout } from './evidence-log.js';
export {
  type ApprovalEvidenceEvent,
  type EvidenceAuthentication,
  type EvidenceBody,
  type EvidenceBundleRef,
  type EvidenceContractWarning,
  type EvidenceEvent,
  type EvidenceEventBody,
  type EvidenceRecord,
  type EvidenceSignature,
  type FleetEvidenceEvent,
  GENESIS_HASH,
} from './evidence-record.js';
export { EVIDENCE_REF_SCHEME, evidenceLogId, evidenceRef, parseEvidenceRef } from './evidence-ref.js';
export type { ClosedSegment } from './evidence-segments.js';
export { EVIDENCE_SCHEMA, EVIDENCE_SCHEMA_V1, type EvidenceKey, signedText } from './evidence-signature.js';
export type {
  FleetConfig,
  FleetConnectionConfig,
  FleetEvidenceConfig,
  FleetSpoolConfig,
} from './fleet-config.js';
export {
  FLEET_POLICY_ID,
  NO_BUNDLE_RULE_ID,
  SPOOL_FULL_RULE_ID,
  STALE_BUNDLE_RULE_ID,
} from './fleet-rule-ids.js';
export { FrameSplitter } from './frame-splitter.js';
export { jsonLogger, type Logger, silentLogger } from './logger.js';
export { UnsafeFileError } from './own-file.js';
export {
  type ClientRefusal,
  DAEMON_ERROR_CODES,
  type DaemonErrorCode,
  FrameError,
  PROTOCOL_VERSION,
  parseFrame,
  readFrameObject,
  toRequestFrame,
} from './protocol.js';
export { MAX_SOCKET_PATH_BYTES, SocketPathError } from './socket-path.js';
export {
  type EvidenceAnchor,
  type EvidenceProblem,
  type EvidenceVerification,
  type VerifyOptions,
  verifyEvidenceLog,
} from './verify-evidence-log.js';
