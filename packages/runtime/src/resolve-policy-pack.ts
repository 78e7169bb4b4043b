import {
  DEFAULT_APPROVER_GROUP,
  type PolicyPackDocument,
  type ResolvedPolicyPack,
} from './policy-pack-document.js';
import { PolicyPackError, type PolicyPackIssue } from './policy-pack-error.js';

/**
 * Applies `metadata.inherits`: the overlay adds to its parent's block and approval lists and may switch
 * protections on, never off. Allow lists (`commands.allow`, `mcp.allowed_servers`) may only be narrowed:
 * an overlay that lists them must list a subset of the parent's, and that subset replaces the parent's list.
 * Anything that would loosen the parent is refused with `loosens_parent`, naming each offending path.
 */
export function resolvePolicyPack(
  document: PolicyPackDocument,
  parent: ResolvedPolicyPack | undefined,
  source: string,
): ResolvedPolicyPack {
  const base = parent ?? EMPTY_PACK;
  const issues: PolicyPackIssue[] = [];
  const union = (parentList: readonly string[], own: readonly string[] | undefined) => [
    ...parentList,
    ...(own ?? []).filter((item) => !parentList.includes(item)),
  ];
  const narrow = (path: string, parentList: readonly string[], own: readonly string[] | undefined) => {
    if (own === undefined) return parentList;
    if (!parent) return own;
    own.forEach((item, index) => {
      if (!parentList.includes(item)) {
        issues.push({
          path: `${path}/${index}`,
          message: `'${item}' is not allowed by parent ${parent.metadata.id}`,
        });
      }
    });
    return own;
  };
  const tighten = (path: string, parentValue: boolean, own: boolean | undefined) => {
    if (own === false && parentValue) {
      issues.push({
        path,
        message: `cannot switch off a protection the parent ${parent?.metadata.id} switches on`,
      });
    }
    return own ?? parentValue;
  };

  const resolved: ResolvedPolicyPack = {
    metadata: {
      id: document.metadata.id,
      version: document.metadata.version,
      description: document.metadata.description ?? '',
      inherits: parent ? [parent.metadata.id, ...parent.metadata.inherits] : [],
      approver_group: document.metadata.approver_group ?? base.metadata.approver_group,
    },
    filesystem: {
      block_read: union(base.filesystem.block_read, document.filesystem?.block_read),
      block_write: union(base.filesystem.block_write, document.filesystem?.block_write),
      require_approval_write: union(
        base.filesystem.require_approval_write,
        document.filesystem?.require_approval_write,
      ),
    },
    commands: {
      allow: narrow('/commands/allow', base.commands.allow, document.commands?.allow),
      block: union(base.commands.block, document.commands?.block),
      require_approval: union(base.commands.require_approval, document.commands?.require_approval),
    },
    git: {
      block_push_branches: union(base.git.block_push_branches, document.git?.block_push_branches),
      require_pull_request: tighten(
        '/git/require_pull_request',
        base.git.require_pull_request,
        document.git?.require_pull_request,
      ),
      require_ai_attestation: tighten(
        '/git/require_ai_attestation',
        base.git.require_ai_attestation,
        document.git?.require_ai_attestation,
      ),
    },
    mcp: {
      allowlist_enabled: tighten(
        '/mcp/allowlist_enabled',
        base.mcp.allowlist_enabled,
        document.mcp?.allowlist_enabled,
      ),
      allowed_servers: narrow(
        '/mcp/allowed_servers',
        base.mcp.allowed_servers,
        document.mcp?.allowed_servers,
      ),
      blocked_servers: union(base.mcp.blocked_servers, document.mcp?.blocked_servers),
    },
  };
  if (issues.length > 0) throw new PolicyPackError('loosens_parent', source, issues);
  return resolved;
}

const EMPTY_PACK: ResolvedPolicyPack = {
  metadata: { id: '', version: '', description: '', inherits: [], approver_group: DEFAULT_APPROVER_GROUP },
  filesystem: { block_read: [], block_write: [], require_approval_write: [] },
  commands: { allow: [], block: [], require_approval: [] },
  git: { block_push_branches: [], require_pull_request: false, require_ai_attestation: false },
  mcp: { allowlist_enabled: false, allowed_servers: [], blocked_servers: [] },
};
