import { JetStreamApiCodes, JetStreamApiError, type StreamConfig } from '@nats-io/jetstream';
import type { KV, KvOptions } from '@nats-io/kv';
import type { Fleet } from './connect-fleet.js';
import {
  EVIDENCE_ALERT_SUBJECTS,
  EVIDENCE_ALERTS_STREAM,
  EVIDENCE_BUCKETS,
  EVIDENCE_STREAM,
  EVIDENCE_SUBJECTS,
} from './evidence-names.js';
import { FleetError } from './fleet-error.js';
import { toFleetError } from './nats-failure.js';

/** What creating or binding the evidence streams needs of a fleet connection. */
export type EvidenceConnection = Pick<Fleet, 'jsm' | 'kvm'>;

const NANOS_PER_MS = 1_000_000;

/**
 * How the two streams are kept: file storage (the point is to survive the laptop), kept forever (limits retention,
 * no age limit: operators cap them), the publish de-duplication window that makes a re-sent batch a no-op, and a
 * message size above the 256 KiB batch limit plus headers.
 */
function streamConfigs(replicas: number): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    storage: 'file',
    num_replicas: replicas,
    // Leader reads only: a replica that lags could name an older last batch during the shipper's reconcile.
    allow_direct: false,
    max_msg_size: 1024 * 1024,
  } as const;
  return [
    {
      ...common,
      name: EVIDENCE_STREAM,
      subjects: [EVIDENCE_SUBJECTS],
      duplicate_window: 2 * 60_000 * NANOS_PER_MS,
    },
    { ...common, name: EVIDENCE_ALERTS_STREAM, subjects: [EVIDENCE_ALERT_SUBJECTS] },
  ];
}

/** How each KV bucket is kept: a short history of heads and receipts for operators; a re-send request only its last. */
const KV_OPTIONS: Readonly<Record<keyof typeof EVIDENCE_BUCKETS, Partial<KvOptions>>> = {
  heads: { history: 5, allow_direct: false },
  receipts: { history: 5, allow_direct: false },
  resend: { history: 1, allow_direct: false },
};

/**
 * Creates the evidence streams and KV buckets that do not exist yet, with `replicas` copies (an existing one is kept
 * as it is: its settings are the operator's). Called by connectFleet with `createBuckets`.
 */
export async function createEvidenceStreams(fleet: EvidenceConnection, replicas: number): Promise<void> {
  try {
    for (const config of streamConfigs(replicas)) {
      if ((await streamInfo(fleet, config.name)) === undefined) await fleet.jsm.streams.add(config);
    }
    for (const key of Object.keys(EVIDENCE_BUCKETS) as (keyof typeof EVIDENCE_BUCKETS)[])
      await fleet.kvm.create(EVIDENCE_BUCKETS[key], { ...KV_OPTIONS[key], replicas });
  } catch (error) {
    throw toFleetError(error);
  }
}

/** Binds one evidence KV bucket; a missing one is a `bucket_missing` FleetError naming it. */
export async function openEvidenceBucket(
  fleet: EvidenceConnection,
  key: keyof typeof EVIDENCE_BUCKETS,
): Promise<KV> {
  const name = EVIDENCE_BUCKETS[key];
  try {
    const bound = await fleet.kvm.open(name);
    await bound.status(); // open() alone does not look: a missing bucket would fail later, less clearly.
    return bound;
  } catch (error) {
    throw missingOr(error, name);
  }
}

/** Checks that an evidence stream exists (before a shipper or verifier starts); a missing one is named. */
export async function checkEvidenceStream(fleet: EvidenceConnection, name: string): Promise<void> {
  try {
    if ((await streamInfo(fleet, name)) !== undefined) return;
  } catch (error) {
    throw toFleetError(error);
  }
  throw missingOr(undefined, name);
}

async function streamInfo(fleet: EvidenceConnection, name: string) {
  try {
    return await fleet.jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return undefined;
    throw error;
  }
}

function missingOr(error: unknown, name: string): FleetError {
  if (
    error === undefined ||
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
  )
    return new FleetError(
      'bucket_missing',
      `the fleet bucket ${name} does not exist: a publisher creates them (connectFleet with createBuckets)`,
      error === undefined ? undefined : { cause: error },
    );
  return toFleetError(error);
}
