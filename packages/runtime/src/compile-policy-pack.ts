import { canonicalPolicyPackJson, policyPackDigest } from './canonical-policy-pack.js';
import { type CommandMatcher, compileCommandPatterns } from './command-pattern.js';
import { compilePathPatterns, type PathMatcher } from './path-pattern.js';
import type { PolicyPackDocument, ResolvedPolicyPack } from './policy-pack-document.js';
import { PolicyPackError } from './policy-pack-error.js';
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
  readonly approverGroup: string;
  readonly resolved: ResolvedPolicyPack;
  /** The canonical compiled form (see canonicalPolicyPackJson); loading it back yields the same digest. */
  readonly canonicalJson: string;
  readonly matchers: PolicyPackMatchers;
}

/** Options of compilePolicyPack. */
export interface CompilePolicyPackOptions {
  /** Already compiled packs by id, to resolve `metadata.inherits`. */
  readonly parents?: ReadonlyMap<string, CompiledPolicyPack>;
  /** Names the pack in errors; default its id. */
  readonly source?: string;
}

/**
 * Resolves `metadata.inherits` against `parents`, digests the canonical form and builds the matchers.
 * Throws PolicyPackError `unknown_parent` (parent not given) or `loosens_parent` (the overlay loosens it).
 */
export function compilePolicyPack(
  document: PolicyPackDocument,
  options: CompilePolicyPackOptions = {},
): CompiledPolicyPack {
  const source = options.source ?? document.metadata.id;
  const parentId = document.metadata.inherits;
  let parent: CompiledPolicyPack | undefined;
  if (parentId !== undefined) {
    parent = options.parents?.get(parentId);
    if (!parent) {
      throw new PolicyPackError('unknown_parent', source, [
        { path: '/metadata/inherits', message: `no pack with id '${parentId}' is loaded` },
      ]);
    }
  }
  return compileResolved(resolvePolicyPack(document, parent?.resolved, source));
}

// Filesystem lists only block or ask for approval, so matching regardless of case, and matching the path the OS
// may open as well (`.env.`, `.env::$DATA`, `.env/`), only tightens them.
const FILESYSTEM = { nocase: true, osAliases: true } as const;

/** Compiles an already resolved pack (e.g. one read back from its canonical JSON). */
export function compileResolved(resolved: ResolvedPolicyPack): CompiledPolicyPack {
  const canonicalJson = canonicalPolicyPackJson(resolved);
  return Object.freeze({
    id: resolved.metadata.id,
    version: resolved.metadata.version,
    digest: policyPackDigest(canonicalJson),
    approverGroup: resolved.metadata.approver_group,
    resolved,
    canonicalJson,
    matchers: {
      blockRead: compilePathPatterns(resolved.filesystem.block_read, FILESYSTEM),
      blockWrite: compilePathPatterns(resolved.filesystem.block_write, FILESYSTEM),
      requireApprovalWrite: compilePathPatterns(resolved.filesystem.require_approval_write, FILESYSTEM),
      commandAllow: compileCommandPatterns(resolved.commands.allow),
      commandBlock: compileCommandPatterns(resolved.commands.block),
      commandRequireApproval: compileCommandPatterns(resolved.commands.require_approval),
      // Branch names and MCP server names are case-sensitive identifiers (git refs, registered server names):
      // matching them regardless of case would let `mcp.allowed_servers` admit a server it does not name.
      blockPushBranches: compilePathPatterns(resolved.git.block_push_branches),
      allowedServers: new Set(resolved.mcp.allowed_servers),
      blockedServers: new Set(resolved.mcp.blocked_servers),
    },
  });
}
