/** The bundle state a daemon reports: never activated, a bootstrap pack, the bundle active, its metadata expired. */
export const BUNDLE_STATES = ['none', 'bootstrap', 'active', 'stale'] as const;
export type BundleState = (typeof BUNDLE_STATES)[number];

export const DAEMON_KINDS = ['laptop', 'ci'] as const;
export type DaemonKind = (typeof DAEMON_KINDS)[number];

/** What a daemon tells the fleet about itself: {@link startHeartbeat} asks for it at each write. */
export interface DaemonSnapshot {
  kind: DaemonKind;
  /** The daemon's package version. */
  version: string;
  /** The runtime mode (enforce, audit_only, ...). */
  mode: string;
  /** The channel the daemon follows. */
  channel: string;
  /** The active bundle's revision, absent when none was ever activated. */
  revision?: number;
  bundle_state: BundleState;
  /** When the active bundle was activated (RFC 3339). */
  activated_at?: string;
  /** Decisions made since the daemon started, by decision (`allow`, `block`, ...). */
  decisions: Readonly<Record<string, number>>;
  /** The hash of the daemon's last evidence record. */
  evidence_head?: string;
  /** The seq of the daemon's last evidence record (absent from daemons before 0.5). */
  evidence_seq?: number;
  /** How far its evidence reached the fleet's stream; absent when it does not ship (or predates 0.5). */
  evidence_shipping?: HeartbeatShipping;
  /** The last fleet error (a FleetError code and message), absent when none. */
  last_error?: string;
}

/** A daemon's evidence shipping as its heartbeat reports it (what `cavra fleet status` calls the shipping lag). */
export interface HeartbeatShipping {
  /** The last record the stream acknowledged (0 for none known yet). */
  shipped_seq: number;
  /** Records not acknowledged yet (the lag); null before the shipper first reached NATS. */
  pending: number | null;
}

/** The record under the daemon's key of `cavra_fleet_status`. */
export interface Heartbeat extends DaemonSnapshot {
  schema: typeof HEARTBEAT_SCHEMA;
  daemon_id: string;
  /** The daemon's clock when it wrote the record; last-seen comes from the server's time, not this. */
  sent_at: string;
}

export const HEARTBEAT_SCHEMA = 'cavra.fleet.status.v1';
