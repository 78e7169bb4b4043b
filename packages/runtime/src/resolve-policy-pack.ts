import type { NetworkSection, PolicyPackDocument, ResolvedPolicyPack } from './policy-pack-document.js';
import { PolicyPackError, type PolicyPackIssue } from './policy-pack-error.js';

/**
 * Applies `metadata.inherits`.
 * - One id (our overlay form): the overlay adds to its parent's block and approval lists and may switch
 *   protections on, never off. Allow lists (`commands.allow`, `mcp.allowed_servers`) may only be narrowed: an
 *   overlay that lists them must list a subset of the parent's, and that subset replaces the parent's list.
 *   Anything that would loosen the parent is refused with `loosens_parent`, naming each offending path.
 * - A list of ids (upstream's form, `parents` in that order): every parent's block and approval lists are added
 *   and a protection any of them switches on stays on, but the allow lists are the pack's own (empty when it has
 *   none), as upstream reads the pack; so the pack decides at least as strictly as upstream does.
 */
export function resolvePolicyPack(
  document: PolicyPackDocument,
  parents: readonly ResolvedPolicyPack[],
  source: string,
): ResolvedPolicyPack {
  if (Array.isArray(document.metadata.inherits)) return resolveUpstreamForm(document, parents);
  const parent = parents[0];
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
      // Upstream blocks servers on neither list unless a pack says otherwise.
      block_unknown_servers: parent
        ? tighten(
            '/mcp/block_unknown_servers',
            parent.mcp.block_unknown_servers,
            document.mcp?.block_unknown_servers,
          )
        : (document.mcp?.block_unknown_servers ?? true),
    },
  };
  const network = document.network ?? parent?.network;
  if (issues.length > 0) throw new PolicyPackError('loosens_parent', source, issues);
  if (!network) return resolved;
  const baseNetwork = parent?.network ?? EMPTY_NETWORK;
  // A parent that says nothing about the network asks for approval of every host: an overlay may not allow one.
  const allowDomains = parent
    ? narrow('/network/allow_domains', baseNetwork.allow_domains, document.network?.allow_domains)
    : (document.network?.allow_domains ?? []);
  if (issues.length > 0) throw new PolicyPackError('loosens_parent', source, issues);
  return {
    ...resolved,
    network: {
      allow_domains: allowDomains,
      block_domains: union(baseNetwork.block_domains, document.network?.block_domains),
      require_approval_domains: union(
        baseNetwork.require_approval_domains,
        document.network?.require_approval_domains,
      ),
    },
  };
}

function resolveUpstreamForm(
  document: PolicyPackDocument,
  parents: readonly ResolvedPolicyPack[],
): ResolvedPolicyPack {
  const merged = (
    pick: (pack: ResolvedPolicyPack) => readonly string[],
    own: readonly string[] | undefined,
  ) => [...new Set([...parents.flatMap(pick), ...(own ?? [])])];
  const anyOn = (pick: (pack: ResolvedPolicyPack) => boolean, own: boolean | undefined) =>
    own === true || parents.some(pick);
  const { filesystem, commands, git, mcp, network } = document;
  const networked = network !== undefined || parents.some((pack) => pack.network);
  return {
    metadata: {
      id: document.metadata.id,
      version: document.metadata.version,
      description: document.metadata.description ?? '',
      inherits: [...new Set(parents.flatMap((parent) => [parent.metadata.id, ...parent.metadata.inherits]))],
      approver_group: document.metadata.approver_group ?? '',
    },
    filesystem: {
      block_read: merged((pack) => pack.filesystem.block_read, filesystem?.block_read),
      block_write: merged((pack) => pack.filesystem.block_write, filesystem?.block_write),
      require_approval_write: merged(
        (pack) => pack.filesystem.require_approval_write,
        filesystem?.require_approval_write,
      ),
    },
    commands: {
      allow: [...(commands?.allow ?? [])],
      block: merged((pack) => pack.commands.block, commands?.block),
      require_approval: merged((pack) => pack.commands.require_approval, commands?.require_approval),
    },
    git: {
      block_push_branches: merged((pack) => pack.git.block_push_branches, git?.block_push_branches),
      require_pull_request: anyOn((pack) => pack.git.require_pull_request, git?.require_pull_request),
      require_ai_attestation: anyOn((pack) => pack.git.require_ai_attestation, git?.require_ai_attestation),
    },
    mcp: {
      allowlist_enabled: anyOn((pack) => pack.mcp.allowlist_enabled, mcp?.allowlist_enabled),
      allowed_servers: [...(mcp?.allowed_servers ?? [])],
      blocked_servers: merged((pack) => pack.mcp.blocked_servers, mcp?.blocked_servers),
      block_unknown_servers:
        mcp?.block_unknown_servers !== false || parents.some((pack) => pack.mcp.block_unknown_servers),
    },
    ...(networked
      ? {
          network: {
            allow_domains: [...(network?.allow_domains ?? [])],
            block_domains: merged((pack) => pack.network?.block_domains ?? [], network?.block_domains),
            require_approval_domains: merged(
              (pack) => pack.network?.require_approval_domains ?? [],
              network?.require_approval_domains,
            ),
          },
        }
      : {}),
  };
}

const EMPTY_NETWORK: Required<NetworkSection> = {
  allow_domains: [],
  block_domains: [],
  require_approval_domains: [],
};

const EMPTY_PACK: ResolvedPolicyPack = {
  metadata: { id: '', version: '', description: '', inherits: [], approver_group: '' },
  filesystem: { block_read: [], block_write: [], require_approval_write: [] },
  commands: { allow: [], block: [], require_approval: [] },
  git: { block_push_branches: [], require_pull_request: false, require_ai_attestation: false },
  mcp: { allowlist_enabled: false, allowed_servers: [], blocked_servers: [], block_unknown_servers: true },
};
