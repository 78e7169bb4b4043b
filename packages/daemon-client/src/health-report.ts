/** The daemon's answer to a health frame. */
export interface HealthReport {
  readonly version: string;
  /** Process id of the daemon that answered. */
  readonly pid: number;
  /** Digest of the default pack (`sha256:<hex>`). */
  readonly policy_digest: string;
  /** Every loaded pack's digest, by pack id. */
  readonly policy_digests: Readonly<Record<string, string>>;
  readonly mode: string;
  /**
   * The shell grammar commands are parsed with, loaded after the daemon starts listening: `loading` (commands that
   * need a parse wait for it), `ready`, or `failed` (those commands are answered with an internal error until a
   * later load succeeds; the daemon's log says why). Absent from daemons before 0.3.
   */
  readonly shell_parser?: 'loading' | 'ready' | 'failed';
  /**
   * `required`: requests without runner_auth are blocked; otherwise they are evaluated as unauthenticated local
   * agents. `methods`: what a present runner_auth may use.
   */
  readonly runner_auth: { readonly required: boolean; readonly methods: readonly ('hmac' | 'oidc')[] };
  readonly uptime_ms: number;
  readonly counts: {
    /** Evaluate requests taken up (decided or refused with an error); frames refused with `shutting_down` are not counted. */
    readonly requests: number;
    /** Decisions sent, by decision; the bare form's `daemon.<code>` refusals count as `block`. */
    readonly decisions: Readonly<Record<string, number>>;
    /** v1 error frames sent (the bare form gets decisions instead). */
    readonly errors: number;
    /** Open connections, the asking one included. */
    readonly connections: number;
  };
  /** The evidence log's record count and last hash (anchor it elsewhere to detect truncation). */
  readonly evidence: { readonly records: number; readonly last_hash: string };
  /** The daemon's fleet identity (`cavra-daemon enroll`); absent when it was never enrolled. */
  readonly daemon_id?: string;
  /** Fleet mode's bundle state; absent when the daemon has no `fleet:` section. */
  readonly fleet?: FleetHealthReport;
}

/** A fleet daemon's bundle: which one decides, whether it is fresh, and whether the daemon blocks for want of one. */
export interface FleetHealthReport {
  readonly channel: string;
  /**
   * `none`: no bundle was ever activated (every request is blocked, `fleet.no_bundle`); `bootstrap`: the config's
   * bootstrap pack decides until the first bundle; `active`; `stale`: the active bundle's signed timestamp expired
   * (NATS unreachable, or the publisher stopped renewing it).
   */
  readonly state: 'none' | 'bootstrap' | 'active' | 'stale';
  readonly revision: number | null;
  /** SHA-256 (hex) of the active bundle file. */
  readonly manifest_digest: string | null;
  /** The TUF key ids that signed each role's metadata of the active bundle. */
  readonly key_ids: Readonly<Record<string, readonly string[]>>;
  readonly activated_at: string | null;
  /** When the active bundle's timestamp metadata expires (RFC 3339). */
  readonly expires: string | null;
  readonly stale_action: 'warn' | 'block';
  /** Every request is answered with a `cavra-fleet` block: no bundle, or stale past max_staleness with `block`. */
  readonly blocking: boolean;
  /** Whether the daemon holds a connection to NATS now. */
  readonly connected: boolean;
  /** The last fleet error (a code and its reason), or null. */
  readonly last_error: string | null;
  /** Shipping the evidence log to the fleet's stream; absent with `evidence: { ship: false }`. */
  readonly evidence_shipping?: FleetShippingHealth;
  /** The evidence log as the shipper's spool (fleet.evidence); absent from daemons before 0.5. */
  readonly spool?: FleetSpoolHealth;
}

/** How far the evidence log reached the fleet's `CAVRA_EVIDENCE` stream. */
export interface FleetShippingHealth {
  /** Whether the shipper runs (it starts once the daemon first reaches NATS). */
  readonly connected: boolean;
  /** The last record the stream acknowledged (0 for none known yet). */
  readonly shipped_seq: number;
  /** Records not acknowledged yet; null before the shipper first reached NATS. */
  readonly pending: number | null;
  /** The last shipping failure, cleared by the next acknowledgement. */
  readonly last_error: string | null;
  /** Acknowledged records the stream had lost, re-sent from the local log. */
  readonly lost_acks_repaired: number;
  /** Publishes refused for a wrong last subject sequence (each followed by a reconcile). */
  readonly conflicts: number;
  /** Re-send requests of the central verifier carried out. */
  readonly resends: number;
  /** Why the cursor file could not be used (the shipper then goes by the stream), or null. */
  readonly cursor_problem: string | null;
  readonly ship_mode: 'async' | 'sync';
}

/** How full a fleet daemon's evidence spool is (its segmented log, deleted only once receipted). */
export interface FleetSpoolHealth {
  /** `warning`: past 80 % of max_bytes; `full`: at or past it (with `on_spool_full: block`, requests are blocked). */
  readonly level: 'ok' | 'warning' | 'full';
  readonly bytes: number;
  readonly max_bytes: number;
  readonly on_spool_full: 'block' | 'warn';
}
