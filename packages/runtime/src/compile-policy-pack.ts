import { canonicalPolicyPackJson, policyPackDigest } from './canonical-policy-pack.js';
import { type CommandMatcher, compileCommandPatterns } from './command-pattern.js';
import { parentReferences } from './pack-parents.js';
import { compilePathPatterns, type PathMatcher } from './path-pattern.js';
import {
  INFORMATIONAL_PACK_KEYS,
  type PolicyPackDocument,
  type ResolvedPolicyPack,
} from './policy-pack-document.js';
import { PolicyPackError, type PolicyPackIssue } from './policy-pack-error.js';
import { resolvePolicyPack } from './resolve-policy-pack.js';

/** Matchers built once per pack, so evaluating a request parses nothing and builds no regex. */
export interface PolicyPackMatchers {
  readonly blockRead: PathMatcher;
  readonly blockWrite: PathMatcher;
  readonly requireApprovalWrite: PathMatcher;
  readonly commandAllow: CommandMatcher;
  readonly commandBlock: CommandMatcher;
  readonly commandRequireApproval: CommandMatcher;
  readonly blockPushBranches: PathMatcher;
  readonly allowedServers: ReadonlySet<string>;
  readonly blockedServers: ReadonlySet<string>;
}

/** A pack ready to evaluate: resolved against its parents, digested and compiled. Immutable. */
export interface CompiledPolicyPack {
  readonly id: string;
  readonly version: string;
  /** `sha256:<hex>` of `canonicalJson`. */
  readonly digest: string;
  /** The pack's `metadata.approver_group`; '' when it names none (approvals go to the rule table's groups). */
  readonly approverGroup: string;
  readonly resolved: ResolvedPolicyPack;
  /**
   * Keys of the pack's own document that are accepted but not enforced (upstream's informational keys), each with
   * why; not part of the digest, which covers what decides.
   */
  readonly notices: readonly PolicyPackIssue[];
  /** The canonical compiled form (see canonicalPolicyPackJson); loading it back yields the same digest. */
  readonly canonicalJson: string;
  readonly matchers: PolicyPackMatchers;
}

/** Options of compilePolicyPack. */
export interface CompilePolicyPackOptions {
  /** Already compiled packs by the reference the pack names them by (an id or a path), to resolve its parents. */
  readonly parents?: ReadonlyMap<string, CompiledPolicyPack>;
  /** Names the pack in errors; default its id. */
  readonly source?: string;
}

/**
 * Resolves `metadata.inherits` / `metadata.extends` against `parents` and adds the protected set
 * (resolvePolicyPack), digests the canonical form and builds the matchers. Throws PolicyPackError `unknown_parent`
 * (parent not given), `loosens_parent` (an `inherits` overlay loosens it) or `invalid_pack`.
 */
export function compilePolicyPack(
  document: PolicyPackDocument,
  options: CompilePolicyPackOptions = {},
): CompiledPolicyPack {
  const source = options.source ?? document.metadata.id;
  const parents: ResolvedPolicyPack[] = [];
  const missing: PolicyPackIssue[] = [];
  for (const { reference, pointer } of parentReferences(document, source)) {
    const parent = options.parents?.get(reference);
    if (parent) parents.push(parent.resolved);
    else missing.push({ path: pointer, message: `no pack with id '${reference}' is loaded` });
  }
  if (missing.length > 0) throw new PolicyPackError('unknown_parent', source, missing);
  return compileResolved(resolvePolicyPack(document, parents, source), packNotices(document));
}

/** The informational keys the document holds (see INFORMATIONAL_PACK_KEYS). */
export function packNotices(document: PolicyPackDocument): PolicyPackIssue[] {
  return Object.entries(INFORMATIONAL_PACK_KEYS)
    .filter(([path]) => valueAt(document, path) !== undefined)
    .map(([path, message]) => ({ path, message: `accepted, ${message}` }));
}

function valueAt(document: unknown, path: string): unknown {
  return path
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      document,
    );
}

// Filesystem lists only block or ask for approval, so matching regardless of case, matching the path the OS may
// open as well (`.env.`, `.env::$DATA`, `.env/`) and matching upstream's reading of the pattern too (`*` is any
// characters over the raw target) only tightens them.
const FILESYSTEM = { nocase: true, osAliases: true, upstreamStars: true } as const;

/** Compiles an already resolved pack (e.g. one read back from its canonical JSON). */
export function compileResolved(
  resolved: ResolvedPolicyPack,
  notices: readonly PolicyPackIssue[] = [],
): CompiledPolicyPack {
  const canonicalJson = canonicalPolicyPackJson(resolved);
  return Object.freeze({
    id: resolved.metadata.id,
    version: resolved.metadata.version,
    digest: policyPackDigest(canonicalJson),
    approverGroup: resolved.metadata.approver_group,
    resolved,
    notices,
    canonicalJson,
    matchers: {
      blockRead: compilePathPatterns(resolved.filesystem.block_read, FILESYSTEM),
      blockWrite: compilePathPatterns(resolved.filesystem.block_write, FILESYSTEM),
      requireApprovalWrite: compilePathPatterns(resolved.filesystem.require_approval_write, FILESYSTEM),
      commandAllow: compileCommandPatterns(resolved.commands.allow),
      commandBlock: compileCommandPatterns(resolved.commands.block, { widen: true }),
      commandRequireApproval: compileCommandPatterns(resolved.commands.require_approval, { widen: true }),
      // Branch names and MCP server names are case-sensitive identifiers (git refs, registered server names):
      // matching them regardless of case would let `mcp.allowed_servers` admit a server it does not name.
      blockPushBranches: compilePathPatterns(resolved.git.block_push_branches),
      allowedServers: new Set(resolved.mcp.allowed_servers),
      blockedServers: new Set(resolved.mcp.blocked_servers),
    },
  });
}
