import type { KV } from '@nats-io/kv';
import { bucketKeys } from './bucket-keys.js';
import type { Fleet } from './connect-fleet.js';
import { FLEET_BUCKETS } from './fleet-buckets.js';
import { BUNDLE_STATES, DAEMON_KINDS, HEARTBEAT_SCHEMA, type Heartbeat } from './heartbeat.js';
import { toFleetError } from './nats-failure.js';

/** Options of {@link readFleetStatus}. */
export interface ReadFleetStatusOptions {
  /** A daemon whose last heartbeat is older than this is `not seen` (default 75 000 ms: two heartbeats missed). */
  notSeenAfterMs?: number;
  /** The time the status is read at (default now); tests pass the time they reason about. */
  now?: Date;
}

/** One daemon as the fleet sees it. */
export interface DaemonStatus {
  heartbeat: Heartbeat;
  /** When the server stored its last heartbeat (the server's clock, not the daemon's). */
  last_seen: string;
  /** The last heartbeat is at most `notSeenAfterMs` old. */
  seen: boolean;
  /** Its revision is its channel's head; null when the channel has no head. */
  on_head: boolean | null;
}

/** One channel: its head and where its daemons are. */
export interface ChannelStatus {
  channel: string;
  /** The head revision (`cavra_bundle_heads`), null when nothing was ever published to the channel. */
  head: number | null;
  /** How many daemons run each revision, newest first; `null`: no bundle activated. */
  revisions: { revision: number | null; daemons: number }[];
  /** Daemon ids whose revision is not the head (the head known). */
  not_on_head: string[];
  /** Daemon ids whose bundle is stale (its metadata expired). */
  stale: string[];
  /** Daemon ids not seen for `notSeenAfterMs`. */
  not_seen: string[];
}

/** The whole fleet: {@link readFleetStatus}'s answer. */
export interface FleetStatus {
  read_at: string;
  not_seen_after_ms: number;
  channels: ChannelStatus[];
  daemons: DaemonStatus[];
  /** Keys whose record is not a heartbeat this version reads: listed, never dropped silently. */
  unreadable: { bucket: string; key: string; reason: string }[];
}

/**
 * Reads every heartbeat and every channel head: which revision each daemon runs, which are behind, stale, or no
 * longer seen. Daemons and channels are sorted by name.
 */
export async function readFleetStatus(
  fleet: Fleet,
  options: ReadFleetStatusOptions = {},
): Promise<FleetStatus> {
  const now = options.now ?? new Date();
  const notSeenAfterMs = options.notSeenAfterMs ?? 75_000;
  try {
    const [statuses, heads] = await Promise.all([
      entries(fleet, FLEET_BUCKETS.fleetStatus, fleet.fleetStatus),
      entries(fleet, FLEET_BUCKETS.bundleHeads, fleet.bundleHeads),
    ]);
    const unreadable: FleetStatus['unreadable'] = [];
    const headOf = new Map<string, number>();
    for (const { key, value } of heads) {
      const revision = (value as { revision?: unknown } | undefined)?.revision;
      if (Number.isInteger(revision) && (revision as number) >= 1) headOf.set(key, revision as number);
      else
        unreadable.push({
          bucket: FLEET_BUCKETS.bundleHeads,
          key,
          reason: 'revision is not an integer ≥ 1',
        });
    }
    const daemons: DaemonStatus[] = [];
    for (const { key, value, created } of statuses) {
      const reason = heartbeatProblem(key, value);
      if (reason) {
        unreadable.push({ bucket: FLEET_BUCKETS.fleetStatus, key, reason });
        continue;
      }
      const heartbeat = value as Heartbeat;
      const head = headOf.get(heartbeat.channel);
      daemons.push({
        heartbeat,
        last_seen: created.toISOString(),
        seen: now.getTime() - created.getTime() <= notSeenAfterMs,
        on_head: head === undefined ? null : heartbeat.revision === head,
      });
    }
    daemons.sort((a, b) => compare(a.heartbeat.daemon_id, b.heartbeat.daemon_id));
    const names = [...new Set([...headOf.keys(), ...daemons.map((daemon) => daemon.heartbeat.channel)])];
    const channels = names.sort(compare).map((channel) => {
      const members = daemons.filter((daemon) => daemon.heartbeat.channel === channel);
      const ids = (keep: (daemon: DaemonStatus) => boolean) =>
        members.filter(keep).map((daemon) => daemon.heartbeat.daemon_id);
      const counts = new Map<number | null, number>();
      for (const daemon of members) {
        const revision = daemon.heartbeat.revision ?? null;
        counts.set(revision, (counts.get(revision) ?? 0) + 1);
      }
      return {
        channel,
        head: headOf.get(channel) ?? null,
        revisions: [...counts]
          .map(([revision, count]) => ({ revision, daemons: count }))
          .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0)),
        not_on_head: ids((daemon) => daemon.on_head === false),
        stale: ids((daemon) => daemon.heartbeat.bundle_state === 'stale'),
        not_seen: ids((daemon) => !daemon.seen),
      };
    });
    unreadable.sort((a, b) => compare(a.bucket, b.bucket) || compare(a.key, b.key));
    return { read_at: now.toISOString(), not_seen_after_ms: notSeenAfterMs, channels, daemons, unreadable };
  } catch (error) {
    throw toFleetError(error);
  }
}

/** Every live key of a bucket with its JSON value (undefined when not JSON) and the server's time of the write. */
async function entries(
  fleet: Fleet,
  bucket: string,
  kv: KV,
): Promise<{ key: string; value: unknown; created: Date }[]> {
  const keys = await bucketKeys(fleet, bucket);
  const found = await Promise.all(
    keys.map(async (key) => {
      const entry = await kv.get(key);
      if (entry?.operation !== 'PUT') return undefined;
      let value: unknown;
      try {
        value = entry.json();
      } catch {
        value = undefined;
      }
      return { key, value, created: entry.created };
    }),
  );
  return found.filter((entry) => entry !== undefined);
}

/** What is wrong with a status record, or undefined when it is a heartbeat of this version under its own key. */
function heartbeatProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  if (record.schema !== HEARTBEAT_SCHEMA) return `schema is not ${HEARTBEAT_SCHEMA}`;
  if (record.daemon_id !== key) return 'daemon_id is not its key';
  if (typeof record.channel !== 'string' || record.channel === '') return 'channel is missing';
  if (!(DAEMON_KINDS as readonly unknown[]).includes(record.kind)) return 'kind is not laptop or ci';
  if (!(BUNDLE_STATES as readonly unknown[]).includes(record.bundle_state)) return 'bundle_state is unknown';
  if (
    record.revision !== undefined &&
    !(Number.isInteger(record.revision) && (record.revision as number) >= 1)
  )
    return 'revision is not an integer ≥ 1';
  for (const field of ['version', 'mode', 'sent_at'])
    if (typeof record[field] !== 'string') return `${field} is not a string`;
  if (typeof record.decisions !== 'object' || record.decisions === null) return 'decisions is not an object';
  if (record.evidence_seq !== undefined && !isCount(record.evidence_seq))
    return 'evidence_seq is not an integer ≥ 0';
  return record.evidence_shipping === undefined ? undefined : shippingProblem(record.evidence_shipping);
}

/** What is wrong with a heartbeat's `evidence_shipping` (optional: heartbeats of older daemons have none). */
function shippingProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'evidence_shipping is not an object';
  const { shipped_seq, pending } = value as Record<string, unknown>;
  if (!isCount(shipped_seq)) return 'evidence_shipping.shipped_seq is not an integer ≥ 0';
  if (pending !== null && !isCount(pending)) return 'evidence_shipping.pending is not an integer ≥ 0 or null';
  return undefined;
}

function isCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
