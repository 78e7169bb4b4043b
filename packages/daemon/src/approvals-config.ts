// Types only: the approvals package (and jose under it) loads when a daemon opens its approvals, not with the config.
import type { ScopeKind } from '@cavra/approvals';

/**
 * The `approvals:` section of the daemon config, resolved: paths absolute. Durations stay as written (`15m`, checked
 * by the schema) and settings left out stay undefined: `@cavra/approvals` reads the one and applies its defaults to
 * the other (15 min interactive, 24 h CI, threshold 1, every scope, 8 h max ttl) when a request is made.
 */
export interface ApprovalsConfig {
  /**
   * `local`: the daemon holds the requests (its journal file). `fleet`: the fleet's NATS KV bucket `cavra_approvals`
   * (requires the `fleet:` section; approvers review with `cavra approval ... --nats`).
   */
  readonly store: 'local' | 'fleet';
  /** The owner-only journal of the local store (unused by the fleet store); default `<evidence log>.approvals`. */
  readonly file: string;
  /** How long an evaluate may wait for an outcome before it is answered `approval.pending`. 0: never waits. */
  readonly waitMs: number;
  /**
   * `require_approval` stays the answer (the hook asks the person at the keyboard) rather than waiting for a review.
   * Default true with the local store, false with the fleet store (reviews come from the fleet's approvers).
   */
  readonly selfApprovalAtKeyboard: boolean;
  /** How long a request stays open: interactive requesters, and CI (a request that carried a verified runner). */
  readonly expiry: { readonly interactive?: string; readonly ci?: string };
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
  readonly threshold?: number;
  readonly scopes?: readonly ScopeKind[];
  readonly maxTtl?: string;
  /** Approver ids and the path of each one's public key (SPKI PEM). */
  readonly approvers: readonly { readonly id: string; readonly publicKey: string }[];
}

/** The section as the schema validated it (snake_case). */
export interface RawApprovalsConfig {
  store?: 'local' | 'fleet';
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
  hasFleet: boolean,
): { readonly config?: ApprovalsConfig; readonly issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  if (raw.store === 'fleet' && !hasFleet)
    issues.push({
      path: '/approvals/store',
      message: 'store fleet keeps the requests on the fleet’s NATS servers: it needs the fleet: section',
    });
  // The requesting daemon verifies every review of a fleet state again, and the store keeps an OIDC review's ID token
  // only as its hash (a bearer credential until it expires): such a review could never count (docs/approvals.md).
  if (raw.store === 'fleet' && raw.oidc)
    issues.push({
      path: '/approvals/oidc',
      message:
        'store fleet takes approver-key reviews only: its daemons verify each review again, which an OIDC review kept without its ID token does not allow',
    });
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
    // With OIDC any member of the group may review, so only key-listed groups are bounded by their list.
    const threshold = group.threshold ?? 1;
    if (!raw.oidc && threshold > seen.size) {
      issues.push({
        path: `${path}/threshold`,
        message: `needs ${threshold} approver${threshold === 1 ? '' : 's'} but the group lists ${seen.size} and approvals.oidc is not set: no request of this group could ever be approved`,
      });
    }
    groups[name] = {
      ...(group.threshold !== undefined ? { threshold: group.threshold } : {}),
      ...(group.scopes ? { scopes: group.scopes } : {}),
      ...(group.max_ttl ? { maxTtl: group.max_ttl } : {}),
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
      selfApprovalAtKeyboard: raw.self_approval_at_keyboard ?? raw.store !== 'fleet',
      expiry: { ...raw.expiry },
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
