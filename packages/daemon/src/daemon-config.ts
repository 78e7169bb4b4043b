import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { HmacKeySource, RunnerAuthConfig } from '@cavra/auth';
import { shareInstanceof } from '@cavra/contracts';
import { defaultSocketPath } from '@cavra/daemon-client';
import { isShippedPackId, type ModeSettings, schemaIssues } from '@cavra/runtime';
import { parse as parseYaml } from 'yaml';
import { type ApprovalsConfig, type RawApprovalsConfig, resolveApprovalsConfig } from './approvals-config.js';
import { type FleetConfig, type RawFleetConfig, resolveFleetConfig } from './fleet-config.js';
import { daemonConfig as validate } from './generated/daemon-config-validator.js';
import { errorWords } from './own-file.js';

export interface DaemonLimits {
  /** Largest frame in bytes, newline excluded. Default 1 MiB. */
  readonly maxFrameBytes: number;
  /** A connection with nothing in flight and no bytes for this long is closed. Default 30 s. */
  readonly idleTimeoutMs: number;
  /** A frame must be completed within this long of its first byte (`read_timeout`). Default 10 s. */
  readonly readTimeoutMs: number;
  /** Connections beyond this get an `overloaded` error frame and are closed. Default 256. */
  readonly maxConnections: number;
  /** Requests decided at once per connection; while this many are in flight the connection is not read. Default 64. */
  readonly maxInFlightPerConnection: number;
}

/** The daemon's configuration, resolved: paths absolute, defaults applied. */
export interface DaemonConfig {
  readonly socketPath: string;
  readonly pidFile: string;
  readonly evidenceLog: string;
  /** The key that signs every evidence record (HMAC-SHA256); undefined: records carry their hash chain only. */
  readonly evidenceSigning?: HmacKeySource;
  /** Policy packs: shipped pack ids or file paths; empty means the shipped baseline pack only. */
  readonly policyPacks: readonly string[];
  readonly defaultPack?: string;
  /** When set, every pack file (parents included, shipped packs excepted) must be signed by one of these keys. */
  readonly policySignatures?: { readonly trustedKeys: readonly string[] };
  /** Upstream's MCP trust registry file (JSON): when set, it decides `mcp_tool_call` requests. */
  readonly mcpRegistry?: string;
  readonly mode: ModeSettings;
  /** Refuse unknown request fields and conflicting legacy operations. Default true. */
  readonly strictContract: boolean;
  /** Requests without runner_auth: refused (block) when true; evaluated as a local agent when false. */
  readonly requireRunnerAuth: boolean;
  readonly runnerAuth: RunnerAuthConfig;
  readonly releaseGovernance: {
    readonly approverGroup?: string;
    readonly drillHistory?: string;
    readonly maxDrillAgeDays?: number;
  };
  readonly limits: DaemonLimits;
  /** The `approvals:` section; undefined: `require_approval` is answered as the engine decides it, nothing is stored. */
  readonly approvals?: ApprovalsConfig;
  /** The `fleet:` section; undefined: the policy is `policy_packs`, and no NATS code is loaded. */
  readonly fleet?: FleetConfig;
  /** Where the config came from (for reload); undefined when built in code. */
  readonly configFile?: string;
}

export const DEFAULT_LIMITS: DaemonLimits = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  idleTimeoutMs: 30_000,
  readTimeoutMs: 10_000,
  maxConnections: 256,
  maxInFlightPerConnection: 64,
});

export class DaemonConfigError extends Error {
  readonly code = 'invalid_config';
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(source: string, issues: readonly { path: string; message: string }[]) {
    super(
      `${source}: ${issues.map((issue) => `${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('; ')}`,
    );
    this.name = 'DaemonConfigError';
    this.issues = issues;
  }
}
shareInstanceof(DaemonConfigError, '@cavra/daemon.DaemonConfigError');

export { defaultSocketPath };

/** Reads a YAML or JSON config file; relative paths in it are relative to the file. Throws DaemonConfigError. */
export async function loadDaemonConfig(
  path: string,
  overrides: { socketPath?: string } = {},
): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DaemonConfigError(path, [
      { path: '', message: `cannot read the config file: ${errorWords(error)}` },
    ]);
  }
  let value: unknown;
  try {
    value = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new DaemonConfigError(path, [
      // The first line ends in "line L, column C:" before an excerpt of the file: keep the position, not the colon.
      {
        path: '',
        message: `YAML ${(error as { code?: string }).code ?? 'error'}: ${((error as Error).message.split('\n')[0] ?? '').replace(/:$/, '')}`,
      },
    ]);
  }
  return resolveDaemonConfig(value, { source: path, baseDir: dirname(resolve(path)), ...overrides });
}

interface RawConfig {
  socket_path?: string;
  pid_file?: string;
  evidence_log: string;
  evidence_signing?: { key_id: string; secret_env?: string; secret_file?: string };
  policy_packs?: string[];
  default_pack?: string;
  policy_signatures?: { trusted_keys: string[] };
  mcp_registry?: string;
  mode?: ModeSettings['mode'];
  break_glass?: { reason: string; actors?: string[] };
  strict_contract?: boolean;
  runner_auth?: {
    required?: boolean;
    hmac?: {
      keys: {
        key_id: string;
        secret_env?: string;
        secret_file?: string;
        scheme?: 'CAVRA-RUNNER-HMAC-V1' | 'cavra.runner-auth.v1';
      }[];
      skew_seconds?: number;
      max_ttl_seconds?: number;
      replay_cache_size?: number;
    };
    oidc?: {
      providers: {
        provider: 'github-actions' | 'gitlab-ci' | 'azure-pipelines';
        issuer?: string;
        audience: string;
        jwks_uri?: string;
        jwks_file?: string;
        algorithms?: string[];
      }[];
      trust: {
        providers: ('github-actions' | 'gitlab-ci' | 'azure-pipelines')[];
        repositories: string[];
        refs?: string[];
      };
      skew_seconds?: number;
      max_token_lifetime_seconds?: number;
      jwks?: { timeout_ms?: number; cooldown_ms?: number; cache_max_age_ms?: number; max_bytes?: number };
    };
  };
  release_governance?: { approver_group?: string; drill_history?: string; max_drill_age_days?: number };
  approvals?: RawApprovalsConfig;
  fleet?: RawFleetConfig;
  limits?: {
    max_frame_bytes?: number;
    idle_timeout_ms?: number;
    read_timeout_ms?: number;
    max_connections?: number;
    max_in_flight_per_connection?: number;
  };
}

/** Validates a parsed config object (snake_case, as in the file) and resolves it. Throws DaemonConfigError. */
export function resolveDaemonConfig(
  value: unknown,
  options: { source?: string; baseDir?: string; socketPath?: string } = {},
): DaemonConfig {
  const source = options.source ?? 'config';
  if (!validate(value)) {
    throw new DaemonConfigError(source, schemaIssues(validate.errors));
  }
  const raw = value as unknown as RawConfig;
  const at = (path: string) => resolve(options.baseDir ?? process.cwd(), path);
  const socketPath = options.socketPath
    ? resolve(options.socketPath)
    : raw.socket_path
      ? at(raw.socket_path)
      : defaultSocketPath();
  const hmac = raw.runner_auth?.hmac;
  const oidc = raw.runner_auth?.oidc;
  const limits = raw.limits ?? {};
  const evidenceLog = at(raw.evidence_log);
  const approvals = raw.approvals
    ? resolveApprovalsConfig(raw.approvals, at, evidenceLog, raw.fleet !== undefined)
    : undefined;
  if (approvals && approvals.issues.length > 0) throw new DaemonConfigError(source, approvals.issues);
  const fleet = raw.fleet
    ? resolveFleetConfig(raw.fleet, raw as unknown as Record<string, unknown>, at, evidenceLog)
    : undefined;
  if (fleet && fleet.issues.length > 0) throw new DaemonConfigError(source, fleet.issues);
  return {
    socketPath,
    pidFile: raw.pid_file ? at(raw.pid_file) : join(dirname(socketPath), 'daemon.pid'),
    evidenceLog,
    ...(raw.evidence_signing
      ? {
          evidenceSigning: {
            keyId: raw.evidence_signing.key_id,
            ...(raw.evidence_signing.secret_env ? { secretEnv: raw.evidence_signing.secret_env } : {}),
            ...(raw.evidence_signing.secret_file ? { secretFile: at(raw.evidence_signing.secret_file) } : {}),
          },
        }
      : {}),
    // A shipped pack's id names that pack (loadPolicyPack), anything else a file.
    policyPacks: (raw.policy_packs ?? []).map((pack) => (isShippedPackId(pack) ? pack : at(pack))),
    ...(raw.default_pack ? { defaultPack: raw.default_pack } : {}),
    ...(raw.mcp_registry ? { mcpRegistry: at(raw.mcp_registry) } : {}),
    ...(raw.policy_signatures
      ? { policySignatures: { trustedKeys: raw.policy_signatures.trusted_keys.map(at) } }
      : {}),
    mode: { mode: raw.mode ?? 'enforce', ...(raw.break_glass ? { breakGlass: raw.break_glass } : {}) },
    strictContract: raw.strict_contract ?? true,
    requireRunnerAuth: raw.runner_auth?.required ?? false,
    runnerAuth: {
      ...(hmac
        ? {
            hmac: {
              keys: hmac.keys.map((key) => ({
                keyId: key.key_id,
                ...(key.secret_env ? { secretEnv: key.secret_env } : {}),
                ...(key.secret_file ? { secretFile: at(key.secret_file) } : {}),
                ...(key.scheme ? { scheme: key.scheme } : {}),
              })),
              ...(hmac.skew_seconds !== undefined ? { skewSeconds: hmac.skew_seconds } : {}),
              ...(hmac.max_ttl_seconds !== undefined ? { maxTtlSeconds: hmac.max_ttl_seconds } : {}),
              ...(hmac.replay_cache_size !== undefined ? { replayCacheSize: hmac.replay_cache_size } : {}),
            },
          }
        : {}),
      ...(oidc
        ? {
            oidc: {
              providers: oidc.providers.map((provider) => ({
                provider: provider.provider,
                audience: provider.audience,
                ...(provider.issuer ? { issuer: provider.issuer } : {}),
                ...(provider.jwks_uri ? { jwksUri: provider.jwks_uri } : {}),
                ...(provider.jwks_file ? { jwksFile: at(provider.jwks_file) } : {}),
                ...(provider.algorithms ? { algorithms: provider.algorithms } : {}),
              })),
              trust: oidc.trust,
              ...(oidc.skew_seconds !== undefined ? { skewSeconds: oidc.skew_seconds } : {}),
              ...(oidc.max_token_lifetime_seconds !== undefined
                ? { maxTokenLifetimeSeconds: oidc.max_token_lifetime_seconds }
                : {}),
              ...(oidc.jwks?.timeout_ms !== undefined ? { jwksTimeoutMs: oidc.jwks.timeout_ms } : {}),
              ...(oidc.jwks?.cooldown_ms !== undefined ? { jwksCooldownMs: oidc.jwks.cooldown_ms } : {}),
              ...(oidc.jwks?.cache_max_age_ms !== undefined
                ? { jwksCacheMaxAgeMs: oidc.jwks.cache_max_age_ms }
                : {}),
              ...(oidc.jwks?.max_bytes !== undefined ? { jwksMaxBytes: oidc.jwks.max_bytes } : {}),
            },
          }
        : {}),
    },
    releaseGovernance: {
      ...(raw.release_governance?.approver_group
        ? { approverGroup: raw.release_governance.approver_group }
        : {}),
      ...(raw.release_governance?.drill_history
        ? { drillHistory: at(raw.release_governance.drill_history) }
        : {}),
      ...(raw.release_governance?.max_drill_age_days !== undefined
        ? { maxDrillAgeDays: raw.release_governance.max_drill_age_days }
        : {}),
    },
    limits: {
      maxFrameBytes: limits.max_frame_bytes ?? DEFAULT_LIMITS.maxFrameBytes,
      idleTimeoutMs: limits.idle_timeout_ms ?? DEFAULT_LIMITS.idleTimeoutMs,
      readTimeoutMs: limits.read_timeout_ms ?? DEFAULT_LIMITS.readTimeoutMs,
      maxConnections: limits.max_connections ?? DEFAULT_LIMITS.maxConnections,
      maxInFlightPerConnection:
        limits.max_in_flight_per_connection ?? DEFAULT_LIMITS.maxInFlightPerConnection,
    },
    ...(approvals?.config ? { approvals: approvals.config } : {}),
    ...(fleet?.config ? { fleet: fleet.config } : {}),
    ...(options.source ? { configFile: resolve(options.source) } : {}),
  };
}
