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
}

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
    },
  };
}
