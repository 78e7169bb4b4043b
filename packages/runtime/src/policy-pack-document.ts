/** A policy pack as written (YAML or JSON), after schema validation. Every section is optional. */
export interface PolicyPackDocument {
  readonly metadata: {
    readonly id: string;
    readonly version: string;
    readonly description?: string;
    /** Id of the pack this one overlays; an overlay may only tighten its parent. */
    readonly inherits?: string;
    /** Group asked when a rule requires approval; defaults to `security-reviewers`. */
    readonly approver_group?: string;
  };
  readonly filesystem?: {
    readonly block_read?: readonly string[];
    readonly block_write?: readonly string[];
    readonly require_approval_write?: readonly string[];
  };
  readonly commands?: {
    readonly allow?: readonly string[];
    readonly block?: readonly string[];
    readonly require_approval?: readonly string[];
  };
  readonly git?: {
    readonly block_push_branches?: readonly string[];
    readonly require_pull_request?: boolean;
    readonly require_ai_attestation?: boolean;
  };
  readonly mcp?: {
    readonly allowlist_enabled?: boolean;
    readonly allowed_servers?: readonly string[];
    readonly blocked_servers?: readonly string[];
  };
}

/** A pack with its parent chain applied and every field present: the form that is digested and compiled. */
export interface ResolvedPolicyPack {
  readonly metadata: {
    readonly id: string;
    readonly version: string;
    readonly description: string;
    /** The chain of packs this one was built from, nearest parent first. */
    readonly inherits: readonly string[];
    readonly approver_group: string;
  };
  readonly filesystem: {
    readonly block_read: readonly string[];
    readonly block_write: readonly string[];
    readonly require_approval_write: readonly string[];
  };
  readonly commands: {
    readonly allow: readonly string[];
    readonly block: readonly string[];
    readonly require_approval: readonly string[];
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
  };
}

/** Approver group of a pack that names none. */
export const DEFAULT_APPROVER_GROUP = 'security-reviewers';
