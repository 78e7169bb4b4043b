import { inheritanceForm } from './pack-parents.js';
import type { NetworkSection, PolicyPackDocument, ResolvedPolicyPack } from './policy-pack-document.js';
import { PolicyPackError, type PolicyPackIssue } from './policy-pack-error.js';
import { PROTECTED_PATHS, PROTECTED_PATTERNS } from './protected-paths.js';

type Unprotected = Omit<ResolvedPolicyPack, 'filesystem' | 'metadata'> & {
  readonly metadata: Omit<ResolvedPolicyPack['metadata'], 'loosens'>;
  readonly filesystem: Omit<ResolvedPolicyPack['filesystem'], 'unprotect'>;
};

/**
 * Applies the pack's parents (see InheritanceForm), then the protected set (PROTECTED_PATHS).
 * - `metadata.inherits: <id>` (our overlay form): the overlay adds to its parent's block and approval lists and may
 *   switch protections on, never off. Allow lists (`commands.allow`, `mcp.allowed_servers`, `network.allow_domains`) may only be narrowed:
 *   an overlay that lists them must list a subset of the parent's, and that subset replaces the parent's list.
 *   Anything that would loosen the parent is refused with `loosens_parent`, naming each offending path.
 * - `metadata.extends: <id>`: as the overlay form, except that the allow lists are the parent's followed by the
 *   pack's own: the pack may add allows, and each one its parent lacks is listed in `metadata.loosens`.
 * - `metadata.inherits: [<ids>]` (upstream's form, parents in that order): every list of every parent is merged
 *   with the pack's own, allow lists included, as upstream's loader merges them, and a protection any of them
 *   switches on stays on; each allow a parent lacks is listed in `metadata.loosens`.
 * Every pack, with or without parents, gets the protected set after its own lists, less the patterns it (or a
 * parent) names in `filesystem.unprotect`, each of which is listed in `metadata.loosens` too.
 */
export function resolvePolicyPack(
  document: PolicyPackDocument,
  parents: readonly ResolvedPolicyPack[],
  source: string,
): ResolvedPolicyPack {
  const form = inheritanceForm(document);
  const merged =
    form === 'upstream'
      ? resolveUpstreamForm(document, parents)
      : resolveOverlay(document, parents[0], source, form === 'extends');
  return withProtectedSet(merged, document, parents, source);
}

function withProtectedSet(
  pack: Unprotected,
  document: PolicyPackDocument,
  parents: readonly ResolvedPolicyPack[],
  source: string,
): ResolvedPolicyPack {
  const own = document.filesystem?.unprotect ?? [];
  const unknown = own.flatMap((pattern, index) =>
    PROTECTED_PATTERNS.has(pattern)
      ? []
      : [
          {
            path: `/filesystem/unprotect/${index}`,
            message: `'${pattern}' is not a protected pattern (see PROTECTED_PATHS in the runtime README)`,
          },
        ],
  );
  if (unknown.length > 0) throw new PolicyPackError('invalid_pack', source, unknown);
  const unprotect = [...new Set([...parents.flatMap((parent) => parent.filesystem.unprotect), ...own])];
  const protect = (list: readonly string[], protectedList: readonly string[]) => [
    ...list.filter((pattern) => !protectedList.includes(pattern)),
    ...protectedList.filter((pattern) => !unprotect.includes(pattern)),
  ];
  const addedAllows = (path: string, pick: (pack: Unprotected) => readonly string[]) =>
    parents.flatMap((parent) =>
      pick(pack)
        .filter((item) => !pick(parent).includes(item))
        .map((item) => `${path}: '${item}' is not allowed by parent ${parent.metadata.id}`),
    );
  const loosens = [
    ...parents.flatMap((parent) => parent.metadata.loosens),
    ...addedAllows('commands.allow', (resolved) => resolved.commands.allow),
    ...addedAllows('mcp.allowed_servers', (resolved) => resolved.mcp.allowed_servers),
    ...addedAllows('network.allow_domains', (resolved) => resolved.network?.allow_domains ?? []),
    ...(pack.commands.allow_list_reading === 'as_run'
      ? parents
          .filter((parent) => parent.commands.allow_list_reading !== 'as_run')
          .map(
            (parent) =>
              `commands.allow_list_reading: 'as_run' is not how parent ${parent.metadata.id} reads its allow list`,
          )
      : []),
    ...own.map((pattern) => `filesystem.unprotect: '${pattern}' is not protected`),
  ];
  return {
    ...pack,
    metadata: { ...pack.metadata, loosens: [...new Set(loosens)] },
    filesystem: {
      block_read: protect(pack.filesystem.block_read, PROTECTED_PATHS.read),
      block_write: pack.filesystem.block_write,
      require_approval_write: protect(pack.filesystem.require_approval_write, PROTECTED_PATHS.write),
      unprotect,
    },
  };
}

function resolveOverlay(
  document: PolicyPackDocument,
  parent: ResolvedPolicyPack | undefined,
  source: string,
  extend: boolean,
): Unprotected {
  const base = parent ?? EMPTY_PACK;
  const issues: PolicyPackIssue[] = [];
  const union = (parentList: readonly string[], own: readonly string[] | undefined) => [
    ...parentList,
    ...(own ?? []).filter((item) => !parentList.includes(item)),
  ];
  const allowList = (path: string, parentList: readonly string[], own: readonly string[] | undefined) => {
    if (extend) return union(parentList, own);
    if (own === undefined) return parentList;
    if (!parent) return own;
    own.forEach((item, index) => {
      if (!parentList.includes(item)) {
        issues.push({
          path: `${path}/${index}`,
          message: `'${item}' is not allowed by parent ${parent.metadata.id} (a pack adds allows to its parent with metadata.extends, not inherits)`,
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

  // Reading the allow list as run allows more than reading it as written: an overlay of a parent that reads as
  // written may switch it on only with extends.
  const readAsRun = () => {
    const own = document.commands?.allow_list_reading;
    const parentAsRun = base.commands.allow_list_reading === 'as_run';
    if (own === 'as_run' && parent && !parentAsRun && !extend) {
      issues.push({
        path: '/commands/allow_list_reading',
        message: `'as_run' allows commands parent ${parent.metadata.id} reads as written (a pack adds allows to its parent with metadata.extends, not inherits)`,
      });
    }
    return own === undefined ? parentAsRun : own === 'as_run';
  };
  const resolved: Unprotected = {
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
      allow: allowList('/commands/allow', base.commands.allow, document.commands?.allow),
      block: union(base.commands.block, document.commands?.block),
      require_approval: union(base.commands.require_approval, document.commands?.require_approval),
      ...readingAsRun(readAsRun()),
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
      allowed_servers: allowList(
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
    ? allowList('/network/allow_domains', baseNetwork.allow_domains, document.network?.allow_domains)
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
): Unprotected {
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
      allow: merged((pack) => pack.commands.allow, commands?.allow),
      block: merged((pack) => pack.commands.block, commands?.block),
      require_approval: merged((pack) => pack.commands.require_approval, commands?.require_approval),
      ...readingAsRun(
        commands?.allow_list_reading === undefined
          ? parents.some((pack) => pack.commands.allow_list_reading === 'as_run')
          : commands.allow_list_reading === 'as_run',
      ),
    },
    git: {
      block_push_branches: merged((pack) => pack.git.block_push_branches, git?.block_push_branches),
      require_pull_request: anyOn((pack) => pack.git.require_pull_request, git?.require_pull_request),
      require_ai_attestation: anyOn((pack) => pack.git.require_ai_attestation, git?.require_ai_attestation),
    },
    mcp: {
      allowlist_enabled: anyOn((pack) => pack.mcp.allowlist_enabled, mcp?.allowlist_enabled),
      allowed_servers: merged((pack) => pack.mcp.allowed_servers, mcp?.allowed_servers),
      blocked_servers: merged((pack) => pack.mcp.blocked_servers, mcp?.blocked_servers),
      block_unknown_servers:
        mcp?.block_unknown_servers !== false || parents.some((pack) => pack.mcp.block_unknown_servers),
    },
    ...(networked
      ? {
          network: {
            allow_domains: merged((pack) => pack.network?.allow_domains ?? [], network?.allow_domains),
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

/** The key only when it is `as_run`: a pack that reads as written keeps the digest it had before the key. */
function readingAsRun(asRun: boolean): { allow_list_reading?: 'as_run' } {
  return asRun ? { allow_list_reading: 'as_run' } : {};
}

const EMPTY_NETWORK: Required<NetworkSection> = {
  allow_domains: [],
  block_domains: [],
  require_approval_domains: [],
};

const EMPTY_PACK: Unprotected = {
  metadata: { id: '', version: '', description: '', inherits: [], approver_group: '' },
  filesystem: { block_read: [], block_write: [], require_approval_write: [] },
  commands: { allow: [], block: [], require_approval: [] },
  git: { block_push_branches: [], require_pull_request: false, require_ai_attestation: false },
  mcp: { allowlist_enabled: false, allowed_servers: [], blocked_servers: [], block_unknown_servers: true },
};
