/**
 * A policy pack as written (YAML or JSON), after schema validation. Every section is optional. Besides our keys it
 * holds every key upstream CAVRA packs use; those the engine does not enforce are listed in
 * CompiledPolicyPack.notices (see INFORMATIONAL_PACK_KEYS).
 */
export interface PolicyPackDocument {
  readonly metadata: {
    readonly id: string;
    readonly version: string;
    readonly description?: string;
    /** Upstream: a display title. Informational. */
    readonly title?: string;
    /** Upstream: the pack's intended runtime mode. Informational: the engine's mode decides. */
    readonly mode?: string;
    /**
     * One parent: the pack this one overlays, which it may only tighten (our form). A list (upstream's form): every
     * list of every parent is merged with the pack's own, allow lists included. A parent is a pack id (a shipped
     * pack's id always names the shipped pack) or a path `./…` / `../…` relative to the pack's file.
     */
    readonly inherits?: string | readonly string[];
    /** One parent (as in `inherits`) this pack tightens and may loosen by adding allows; not with `inherits`. */
    readonly extends?: string;
    /** Names the approvers of every approval this pack decides, instead of upstream's per-rule groups. */
    readonly approver_group?: string;
  };
  readonly filesystem?: {
    readonly block_read?: readonly string[];
    readonly block_write?: readonly string[];
    readonly require_approval_write?: readonly string[];
    /** Patterns of the protected set (PROTECTED_PATHS) this pack gives up: each is a loosening, listed as one. */
    readonly unprotect?: readonly string[];
  };
  readonly commands?: {
    readonly allow?: readonly string[];
    readonly block?: readonly string[];
    readonly require_approval?: readonly string[];
    /** What the allow list reads (AllowListReading); default `as_written`. */
    readonly allow_list_reading?: AllowListReading;
  };
  readonly git?: {
    readonly block_push_branches?: readonly string[];
    readonly require_pull_request?: boolean;
    readonly require_ai_attestation?: boolean;
    /** Upstream. Informational: `main` and `master` are always protected for `git_operation` pushes. */
    readonly block_direct_push_to_protected_branch?: boolean;
    /** Upstream. Informational. */
    readonly require_human_reviewer?: boolean;
    /** Upstream. Informational. */
    readonly require_pr_attestation?: boolean;
  };
  readonly mcp?: {
    readonly allowlist_enabled?: boolean;
    readonly allowed_servers?: readonly string[];
    readonly blocked_servers?: readonly string[];
    /** Upstream: block servers on neither list; default true, as upstream. */
    readonly block_unknown_servers?: boolean;
    /** Upstream: a risk level per server. Informational. */
    readonly risk_scoring?: Readonly<Record<string, string>>;
  };
  /** network_request: hosts an agent may fetch from (ours; see network-rules). */
  readonly network?: NetworkSection;
  /** Confinement of the commands this pack lets run (see sandboxSettings); applied by the agent hooks. */
  readonly sandbox?: SandboxSection;
  /** Upstream: approver groups per kind of action. Informational. */
  readonly approvals?: Readonly<Record<string, { readonly approvers?: readonly string[] }>>;
  /** Upstream: what evidence a change must carry. Informational. */
  readonly evidence?: Readonly<Record<string, unknown>>;
  /** Upstream: the frameworks the pack maps to. Informational. */
  readonly compliance?: { readonly maps_to?: readonly string[] };
  /** For `cavra policy lint`: findings accepted, each with why. Not part of what decides. */
  readonly lint?: {
    readonly acknowledge?: readonly {
      readonly finding: 'shadowed' | 'overridden';
      /** The pattern of the rule found; without it, every finding of that kind. */
      readonly pattern?: string;
      readonly reason: string;
    }[];
  };
}

/** A pack's `network` section: domain patterns (`example.com`, `*.example.com`, `*`). */
export interface NetworkSection {
  readonly allow_domains?: readonly string[];
  readonly block_domains?: readonly string[];
  readonly require_approval_domains?: readonly string[];
}

/** A pack's `sandbox` section, as written. */
export interface SandboxSection {
  /** Run every command the hook lets through inside the sandbox. */
  readonly confine_commands?: boolean;
  /** The only hosts a confined command may reach (`example.com`, `*.example.com`, `host:443`); none: no network. */
  readonly allowed_domains?: readonly string[];
  /** Absolute (or `~/`) paths outside the working tree a confined command may also write, e.g. a cache. */
  readonly allow_write?: readonly string[];
}

/** Keys of upstream packs the engine accepts but does not enforce, with why: reported as pack notices. */
export const INFORMATIONAL_PACK_KEYS: Readonly<Record<string, string>> = {
  '/metadata/title': 'descriptive only',
  '/metadata/mode': "not enforced: the engine's runtime mode decides",
  '/git/block_direct_push_to_protected_branch':
    'not needed: main and master are always protected for git_operation pushes',
  '/git/require_human_reviewer': 'not enforced: no request type asks for a reviewer',
  '/git/require_pr_attestation': 'not enforced: no request type creates a pull request',
  '/mcp/risk_scoring': 'not enforced: risk levels do not change a decision',
  '/approvals': 'not enforced: approver groups follow the rule table',
  '/evidence': 'not enforced: evidence requirements are checked outside the engine',
  '/compliance': 'descriptive only',
};

/** A pack with its parent chain applied and every field present: the form that is digested and compiled. */
export interface ResolvedPolicyPack {
  readonly metadata: {
    readonly id: string;
    readonly version: string;
    readonly description: string;
    /** The packs this one was built from, nearest parent first. */
    readonly inherits: readonly string[];
    /** '' when the pack names none: approvals go to the rule table's groups. */
    readonly approver_group: string;
    /**
     * What this pack (or a parent) allows that a parent does not, and the protected patterns it gives up, one
     * sentence each (e.g. `commands.allow: 'git status' is not allowed by parent cavra-ai-agent-baseline`).
     */
    readonly loosens: readonly string[];
  };
  readonly filesystem: {
    readonly block_read: readonly string[];
    readonly block_write: readonly string[];
    /** Ends with the protected set's write patterns, less those given up. */
    readonly require_approval_write: readonly string[];
    /** The protected patterns given up by the pack and its parents. */
    readonly unprotect: readonly string[];
  };
  readonly commands: {
    readonly allow: readonly string[];
    readonly block: readonly string[];
    readonly require_approval: readonly string[];
    /** Present only as `as_run`, so the digest of a pack that reads as written is what it was before the key. */
    readonly allow_list_reading?: 'as_run';
  };
  readonly git: {
    readonly block_push_branches: readonly string[];
    readonly require_pull_request: boolean;
    readonly require_ai_attestation: boolean;
  };
  readonly mcp: {
    readonly allowlist_enabled: boolean;
    readonly allowed_servers: readonly string[];
    readonly blocked_servers: readonly string[];
    readonly block_unknown_servers: boolean;
  };
  /**
   * Present only when the pack or a parent has a `network` section, so that the digest of a pack without one is
   * what it was before the section existed.
   */
  readonly network?: Required<NetworkSection>;
}

/**
 * What the allow list reads of a command. `as_written` (the default) is upstream's reading: each command as written.
 * `as_run` (ours, a loosening against upstream a pack opts into) drops what does not change what runs: leading
 * assignments of harmless variables (`NODE_ENV=test npm test`), a runner's workspace selectors (`pnpm --filter x run
 * test`) and the parentheses of a subshell that is the whole command. Block and approval lists always read the
 * command as written and every spelling of it.
 */
export type AllowListReading = 'as_written' | 'as_run';
