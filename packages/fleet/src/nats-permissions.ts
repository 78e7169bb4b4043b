import { GRANT_KEYS, JTI_KEYS, OUTCOME_SUBJECT_PREFIX, REQUEST_KEYS } from './approval-keys.js';
import { EVIDENCE_BUCKETS, EVIDENCE_STREAM, evidenceSubject } from './evidence-names.js';
import { FLEET_BUCKETS } from './fleet-buckets.js';

/** The NATS permissions of one fleet user: the subjects it may publish to and subscribe to (all others denied). */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

export const KV = (bucket: string) => `KV_${bucket}`;
export const OBJ = (bucket: string) => `OBJ_${bucket}`;

// What the NATS JavaScript client (3.x) asks of JetStream on nats-server 2.9+, per operation (server
// docs "JetStream API Reference" and "Subject-based permissions"; checked by test/nats-permissions.test.ts).
/** Bind a bucket: the account's JetStream info and the bucket stream's info. */
export const bind = (stream: string) => ['$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`];
/** Read a key or an object's metadata: the last message of a subject (direct get when the stream allows it). */
export const read = (stream: string) => [
  `$JS.API.STREAM.MSG.GET.${stream}`,
  `$JS.API.DIRECT.GET.${stream}`,
  `$JS.API.DIRECT.GET.${stream}.>`,
];
/** Watch a KV bucket or read an object's chunks: an ordered consumer, created, fed with flow control, deleted. */
export const consume = (stream: string) => [
  `$JS.API.CONSUMER.CREATE.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.INFO.${stream}.>`,
  `$JS.API.CONSUMER.DELETE.${stream}.>`,
  `$JS.FC.${stream}.>`,
];

/**
 * A daemon's NATS permissions: bind the three buckets, read and watch the channels' heads and the bundles, write
 * its own status key only; ship evidence to its own subject only, read the last batch of a subject (the shipper's
 * reconcile: the API cannot limit that read to its own subject), watch the re-send requests and read the receipts.
 * It can publish no bundle, no head, no other daemon's status or evidence.
 */
export function daemonPermissions(daemonId: string): NatsPermissions {
  const heads = KV(FLEET_BUCKETS.bundleHeads);
  const status = KV(FLEET_BUCKETS.fleetStatus);
  const bundles = OBJ(FLEET_BUCKETS.bundles);
  return {
    publish: {
      allow: unique([
        ...bind(heads),
        ...bind(status),
        ...bind(bundles),
        ...read(heads),
        ...consume(heads),
        ...read(bundles),
        ...consume(bundles),
        `$KV.${FLEET_BUCKETS.fleetStatus}.${daemonId}`,
        ...shipperSubjects(daemonId),
      ]),
    },
    // Answers (API replies, watch and chunk deliveries, publish acks) come to the client's inboxes.
    subscribe: { allow: ['_INBOX.>'] },
  };
}

/** What a daemon's evidence shipper publishes to, beside the buckets (and what its pruning reads: receipts). */
function shipperSubjects(daemonId: string): string[] {
  const resend = KV(EVIDENCE_BUCKETS.resend);
  const receipts = KV(EVIDENCE_BUCKETS.receipts);
  return [
    evidenceSubject(daemonId),
    `$JS.API.STREAM.INFO.${EVIDENCE_STREAM}`,
    `$JS.API.STREAM.MSG.GET.${EVIDENCE_STREAM}`,
    ...bind(resend),
    ...read(resend),
    ...consume(resend),
    ...bind(receipts),
    ...read(receipts),
  ];
}

/** Who reads the fleet status (`cavra fleet status`): bind, then read and list every key; writes nothing. */
export function statusReaderPermissions(): NatsPermissions {
  const heads = KV(FLEET_BUCKETS.bundleHeads);
  const status = KV(FLEET_BUCKETS.fleetStatus);
  const bundles = OBJ(FLEET_BUCKETS.bundles);
  return {
    publish: {
      allow: unique([
        ...bind(heads),
        ...bind(status),
        ...bind(bundles),
        ...read(heads),
        ...consume(heads),
        ...read(status),
        ...consume(status),
      ]),
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}

/**
 * What a role of the fleet approval store (`openFleetApprovalStore`) needs beyond its fleet role (a daemon's, or for
 * an approver a status reader's: every fleet connection binds the three buckets): bind, read, list (stream info) and
 * watch `cavra_approvals`, publish outcomes; a `requester` (a daemon with `approvals: { store: fleet }`) creates request
 * revisions (its requests, expiries, grant uses), an `approver` also review ids and grants. NATS checks subjects, not
 * whether a write creates or updates: the bucket's writers are the trust boundary (docs/approvals.md).
 */
export function approvalPermissions(role: 'requester' | 'approver'): NatsPermissions {
  const approvals = KV(FLEET_BUCKETS.approvals);
  const keys = (prefix: string) => `$KV.${FLEET_BUCKETS.approvals}.${prefix}.>`;
  return {
    publish: {
      allow: unique([
        ...bind(approvals),
        ...read(approvals),
        ...consume(approvals),
        keys(REQUEST_KEYS),
        ...(role === 'approver' ? [keys(JTI_KEYS), keys(GRANT_KEYS)] : []),
        `${OUTCOME_SUBJECT_PREFIX}.>`,
      ]),
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}

/** Two roles' permissions as one user's. */
export function mergePermissions(...roles: NatsPermissions[]): NatsPermissions {
  return {
    publish: { allow: unique(roles.flatMap((role) => role.publish.allow)) },
    subscribe: { allow: unique(roles.flatMap((role) => role.subscribe.allow)) },
  };
}

export function unique(subjects: string[]): string[] {
  return [...new Set(subjects)];
}
