import { parseDuration } from '@cavra/approvals';
/**
 * The `fleet:` section of the daemon config, resolved: paths absolute, defaults applied. Durations stay as written
 * (`1h`, checked by the schema); the fleet runtime, loaded only with this section, turns them into milliseconds.
 */
export interface FleetConfig {
  /** How the daemon reaches NATS: the connection options of `@cavra/fleet`'s connectFleet. */
  readonly connection: FleetConnectionConfig;
  /** The channel whose bundles this daemon follows. */
  readonly channel: string;
  /** The channel's TUF root (`root.json` from `cavra bundle init`): the only trust anchor; never read from NATS. */
  readonly trustRoot: string;
  /** Where verified TUF metadata, staged bundles and the active bundle's record are kept; default `<evidence log>.fleet`. */
  readonly stateDir: string;
  /** The slow poll of the channel's head beside the watch (a jitter of up to a fifth is added); default `5m`. */
  readonly pollInterval: string;
  /**
   * How long one fetch of the channel's newest bundle may take before it is abandoned (health's last_error says
   * `fetch_timeout`) and tried again later; default `30s`.
   */
  readonly fetchTimeout: string;
  /** How long after the active bundle's timestamp metadata expired `staleAction` applies; default `24h`. */
  readonly maxStaleness: string;
  /** `warn` (default): keep deciding with the stale bundle, said in health and logs; `block`: recorded blocks. */
  readonly staleAction: 'warn' | 'block';
  /** A pack file that decides until the first bundle is activated; without it such a daemon blocks every request. */
  readonly bootstrapPack?: string;
  /** What the fleet status reports this daemon as; default `laptop`. */
  readonly kind: 'laptop' | 'ci';
  /** Shipping the evidence log to the fleet's stream, and the log as the shipper's spool. */
  readonly evidence: FleetEvidenceConfig;
}

export interface FleetEvidenceConfig extends FleetSpoolConfig {
  /** Ship the log (default true in fleet mode). */
  readonly ship: boolean;
  /** `sync`: a decision is answered only once its record is acknowledged by the stream; default `async`. */
  readonly shipMode: 'async' | 'sync';
  /** Records per batch; default 1000 (the maximum). */
  readonly batchMaxRecords: number;
  /** How long `cavra-daemon stop` (and a `sync` decision) waits for the shipper; default `30s`. */
  readonly drainTimeout: string;
}

/** How much of the evidence log a fleet daemon keeps, and when it deletes what was shipped (see fleet-spool.ts). */
export interface FleetSpoolConfig {
  /** The log's closed and active segments together; default 1 GiB. */
  readonly spoolMaxBytes: number;
  /** `block` (default): past spool_max_bytes every request is a recorded `fleet.spool_full` block; `warn`: decided. */
  readonly onSpoolFull: 'block' | 'warn';
  /** How old a receipt must be before the segments it covers are deleted; default and minimum `10m`. */
  readonly pruneDelay: string;
  /** A segment is closed once it holds this much; default 16 MiB, at most an eighth of spool_max_bytes. */
  readonly segmentMaxBytes: number;
  /** The central verifier's Ed25519 public key (PEM): receipts are checked with it; without it nothing is pruned. */
  readonly receiptPublicKey?: string;
}

export interface FleetConnectionConfig {
  readonly servers: readonly string[];
  readonly user?: string;
  /** The variable holding the password of `user`. */
  readonly passwordEnv?: string;
  readonly tokenEnv?: string;
  readonly credsFile?: string;
  /** The connection's name as the server lists it; default `cavra-daemon`. */
  readonly name: string;
}

/** The options of `connectFleet` (from `@cavra/fleet`) for this connection: the follower's and the approvals'. */
export function fleetConnectOptions(connection: FleetConnectionConfig, name = connection.name) {
  return {
    servers: connection.servers,
    name,
    ...(connection.user ? { user: connection.user } : {}),
    ...(connection.passwordEnv ? { password_env: connection.passwordEnv } : {}),
    ...(connection.tokenEnv ? { token_env: connection.tokenEnv } : {}),
    ...(connection.credsFile ? { creds_file: connection.credsFile } : {}),
  };
}

/** The section as the schema validated it (snake_case). */
export interface RawFleetConfig {
  servers: string[];
  user?: string;
  password_env?: string;
  token_env?: string;
  creds_file?: string;
  name?: string;
  channel: string;
  trust_root: string;
  state_dir?: string;
  poll_interval?: string;
  fetch_timeout?: string;
  max_staleness?: string;
  stale_action?: 'warn' | 'block';
  bootstrap_pack?: string;
  kind?: 'laptop' | 'ci';
  evidence?: {
    ship?: boolean;
    ship_mode?: 'async' | 'sync';
    batch_max_records?: number;
    drain_timeout?: string;
    spool_max_bytes?: number;
    on_spool_full?: 'block' | 'warn';
    prune_delay?: string;
    segment_max_bytes?: number;
    receipt_public_key?: string;
  };
}

const MIB = 1024 * 1024;
/** The shortest prune_delay: five times the sync interval of nats-server 2.9, which acknowledges before fsync. */
const MIN_PRUNE_DELAY_S = 600;

/** Top-level keys that name the policy, which a fleet daemon takes from its channel's bundles instead. */
const REPLACED_BY_BUNDLES = ['policy_packs', 'default_pack', 'policy_signatures'] as const;

/**
 * Resolves a validated `fleet:` section; issues (with their key paths) for what the schema cannot say. `topLevel`:
 * the config's other keys, since a pack named there would be silently ignored in fleet mode.
 */
export function resolveFleetConfig(
  raw: RawFleetConfig,
  topLevel: Readonly<Record<string, unknown>>,
  at: (path: string) => string,
  evidenceLog: string,
): { readonly config?: FleetConfig; readonly issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  for (const key of REPLACED_BY_BUNDLES) {
    if (topLevel[key] !== undefined)
      issues.push({
        path: `/${key}`,
        message:
          "a fleet daemon decides with its channel's signed bundles (TUF signs them): remove it, or name a pack for the time before the first bundle with fleet.bootstrap_pack",
      });
  }
  if (raw.password_env && raw.token_env)
    issues.push({ path: '/fleet', message: 'give password_env or token_env, not both' });
  if (raw.password_env && !raw.user)
    issues.push({ path: '/fleet/password_env', message: 'a password needs its user' });
  if (raw.creds_file && (raw.password_env || raw.token_env))
    issues.push({ path: '/fleet/creds_file', message: 'a creds file replaces password_env and token_env' });
  const evidence = raw.evidence ?? {};
  const spoolMaxBytes = evidence.spool_max_bytes ?? 1024 * MIB;
  const segmentMaxBytes = evidence.segment_max_bytes ?? Math.min(16 * MIB, Math.floor(spoolMaxBytes / 8));
  if (segmentMaxBytes > spoolMaxBytes / 4)
    issues.push({
      path: '/fleet/evidence/segment_max_bytes',
      message: `at most a quarter of spool_max_bytes (${Math.floor(spoolMaxBytes / 4)}): only closed segments can be pruned`,
    });
  if (evidence.prune_delay !== undefined && parseDuration(evidence.prune_delay) < MIN_PRUNE_DELAY_S)
    issues.push({
      path: '/fleet/evidence/prune_delay',
      message:
        'at least 10m: nats-server 2.9 acknowledges before it syncs to disk, so a fresh receipt may still be lost',
    });
  if (issues.length > 0) return { issues };
  return {
    issues,
    config: {
      connection: {
        servers: raw.servers,
        ...(raw.user ? { user: raw.user } : {}),
        ...(raw.password_env ? { passwordEnv: raw.password_env } : {}),
        ...(raw.token_env ? { tokenEnv: raw.token_env } : {}),
        ...(raw.creds_file ? { credsFile: at(raw.creds_file) } : {}),
        name: raw.name ?? 'cavra-daemon',
      },
      channel: raw.channel,
      trustRoot: at(raw.trust_root),
      stateDir: raw.state_dir ? at(raw.state_dir) : `${evidenceLog}.fleet`,
      pollInterval: raw.poll_interval ?? '5m',
      fetchTimeout: raw.fetch_timeout ?? '30s',
      maxStaleness: raw.max_staleness ?? '24h',
      staleAction: raw.stale_action ?? 'warn',
      ...(raw.bootstrap_pack ? { bootstrapPack: at(raw.bootstrap_pack) } : {}),
      kind: raw.kind ?? 'laptop',
      evidence: {
        ship: evidence.ship ?? true,
        shipMode: evidence.ship_mode ?? 'async',
        batchMaxRecords: evidence.batch_max_records ?? 1000,
        drainTimeout: evidence.drain_timeout ?? '30s',
        spoolMaxBytes,
        onSpoolFull: evidence.on_spool_full ?? 'block',
        pruneDelay: evidence.prune_delay ?? '10m',
        segmentMaxBytes,
        ...(evidence.receipt_public_key ? { receiptPublicKey: at(evidence.receipt_public_key) } : {}),
      },
    },
  };
}
