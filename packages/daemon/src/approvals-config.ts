import {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MAX_TTL_SECONDS,
  DEFAULT_SCOPES,
  parseDuration,
  type ScopeKind,
} from '@cavra/approvals';

/** The `approvals:` section of the daemon config, resolved: paths absolute, durations in seconds, defaults applied. */
export interface ApprovalsConfig {
  /** Only the local store (the daemon holds the requests) this release. */
  readonly store: 'local';
  /** The owner-only journal of the local store; default `<evidence log>.approvals`. */
  readonly file: string;
  /** How long an evaluate may wait for an outcome before it is answered `approval.pending`. 0: never waits. */
  readonly waitMs: number;
  /** `require_approval` stays the answer (the hook asks the person at the keyboard) rather than waiting for a review. */
  readonly selfApprovalAtKeyboard: boolean;
  /** How long a request stays open: interactive requesters, and CI (a request that carried a verified runner). */
  readonly expirySeconds: { readonly interactive: number; readonly ci: number };
  readonly oidc?: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwksUrl: string;
    readonly identityClaim: string;
    readonly groupsClaim: string;
  };
  /** Approver groups by name (the `approver_group` of decisions). A group not listed takes the defaults, with no approver keys. */
  readonly groups: Readonly<Record<string, ApprovalGroupConfig>>;
}

export interface ApprovalGroupConfig {
  readonly threshold: number;
  readonly scopes: readonly ScopeKind[];
  readonly maxTtlSeconds: number;
  /** Approver ids and the path of each one's public key (SPKI PEM). */
  readonly approvers: readonly { readonly id: string; readonly publicKey: string }[];
}

/** A group the config does not list: the model's defaults, and no approver key (OIDC members only). */
export const DEFAULT_APPROVAL_GROUP: ApprovalGroupConfig = Object.freeze({
  threshold: 1,
  scopes: DEFAULT_SCOPES,
  maxTtlSeconds: DEFAULT_MAX_TTL_SECONDS,
  approvers: Object.freeze([]),
});

/** The section as the schema validated it (snake_case, durations as text). */
export interface RawApprovalsConfig {
  store?: 'local';
  file?: string;
  wait_ms?: number;
  self_approval_at_keyboard?: boolean;
  expiry?: { interactive?: string; ci?: string };
  oidc?: {
    issuer: string;
    audience: string;
    jwks_url: string;
    identity_claim?: string;
    groups_claim?: string;
  };
  groups: Record<
    string,
    {
      threshold?: number;
      scopes?: ScopeKind[];
      max_ttl?: string;
      approvers?: { id: string; public_key: string }[];
    }
  >;
}

/**
 * Resolves a validated `approvals:` section. Returns the config, or the issues (each with its key path) that the
 * schema cannot express: an approver listed twice in a group, a threshold no set of its approvers can reach.
 */
export function resolveApprovalsConfig(
  raw: RawApprovalsConfig,
  at: (path: string) => string,
  evidenceLog: string,
): { readonly config?: ApprovalsConfig; readonly issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  const groups: Record<string, ApprovalGroupConfig> = {};
  for (const [name, group] of Object.entries(raw.groups)) {
    const path = `/approvals/groups/${name}`;
    const approvers = group.approvers ?? [];
    const seen = new Set<string>();
    for (const [index, approver] of approvers.entries()) {
      if (seen.has(approver.id))
        issues.push({
          path: `${path}/approvers/${index}/id`,
          message: `approver ${approver.id} is listed twice`,
        });
      seen.add(approver.id);
    }
    const threshold = group.threshold ?? DEFAULT_APPROVAL_GROUP.threshold;
    // With OIDC any member of the group may review, so only key-listed groups are bounded by their list.
    if (!raw.oidc && threshold > seen.size) {
      issues.push({
        path: `${path}/threshold`,
        message: `needs ${threshold} approver${threshold === 1 ? '' : 's'} but the group lists ${seen.size} and approvals.oidc is not set: no request of this group could ever be approved`,
      });
    }
    groups[name] = {
      threshold,
      scopes: group.scopes ?? DEFAULT_APPROVAL_GROUP.scopes,
      maxTtlSeconds: group.max_ttl ? parseDuration(group.max_ttl) : DEFAULT_APPROVAL_GROUP.maxTtlSeconds,
      approvers: approvers.map((approver) => ({ id: approver.id, publicKey: at(approver.public_key) })),
    };
  }
  if (issues.length > 0) return { issues };
  return {
    issues,
    config: {
      store: raw.store ?? 'local',
      file: raw.file ? at(raw.file) : `${evidenceLog}.approvals`,
      waitMs: raw.wait_ms ?? 0,
      selfApprovalAtKeyboard: raw.self_approval_at_keyboard ?? true,
      expirySeconds: {
        interactive: raw.expiry?.interactive
          ? parseDuration(raw.expiry.interactive)
          : DEFAULT_EXPIRY_SECONDS.interactive,
        ci: raw.expiry?.ci ? parseDuration(raw.expiry.ci) : DEFAULT_EXPIRY_SECONDS.ci,
      },
      ...(raw.oidc
        ? {
            oidc: {
              issuer: raw.oidc.issuer,
              audience: raw.oidc.audience,
              jwksUrl: raw.oidc.jwks_url,
              identityClaim: raw.oidc.identity_claim ?? 'email',
              groupsClaim: raw.oidc.groups_claim ?? 'groups',
            },
          }
        : {}),
      groups,
    },
  };
}
