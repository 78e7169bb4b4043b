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
}
