/** The daemon's answer to a health frame. */
export interface HealthReport {
  readonly version: string;
  readonly policy_digest: string;
  readonly policy_digests: Readonly<Record<string, string>>;
  readonly mode: string;
  readonly uptime_ms: number;
  readonly counts: {
    readonly requests: number;
    readonly decisions: Readonly<Record<string, number>>;
    readonly errors: number;
    readonly connections: number;
  };
  readonly evidence: { readonly records: number; readonly last_hash: string };
}
