import type { RuntimeRequest } from '@cavra/contracts';
import type { AuthorizationAnswer, AuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import type { CompiledPolicyPack } from '../src/index.js';

/**
 * The same policy written in Cedar. Each pack rule becomes one Cedar policy whose id is the list entry the engine
 * names in its reason (`commands.block[3]`), or the engine's rule id for a default: block and require_approval rules
 * are `forbid`, allow rules and allow-by-default action types are `permit`.
 * Cedar only answers allow/deny, so the answer is mapped back: a deny names its forbid policies (a block rule
 * beats an approval rule, the lowest index wins, as in the engine); a deny naming none is the action type's
 * fail-closed default; an allow names its permit policy (lowest index).
 *
 * Globs become Cedar `like` patterns (`**` and `*` both become `*`), which is also how the engine reads command
 * patterns (block and approval patterns ending in ` *` match their prefix alone too). Cedar's `*` crosses `/`, so the
 * translation is exact only for patterns like the bench pack's; the bench checks both sides agree on every input.
 * A file pattern also matches after any `/` (`secrets-1/**` also as `*` `/secrets-1/*`), as the engine matches rooted paths at every ancestor.
 * It leaves out what the bench inputs never exercise: the engine matches paths regardless of case and blocks
 * commands whose arguments name a `block_read` path; the inputs are lower-case and their command arguments name no
 * blocked path.
 */
export function toCedarPolicies(pack: CompiledPolicyPack): Record<string, string> {
  const { filesystem, commands, git, mcp } = pack.resolved;
  if (git.require_pull_request || git.require_ai_attestation) {
    throw new Error(
      'the Cedar translation covers packs without require_pull_request / require_ai_attestation',
    );
  }
  const policies: Record<string, string> = {};
  const add = (ruleId: string, effect: 'permit' | 'forbid', action: string, condition?: string) => {
    const when = condition ? ` when { ${condition} }` : '';
    policies[ruleId] = `${effect}(principal, action == Action::"${action}", resource)${when};`;
  };
  const like = (pattern: string) => `context.target like "${pattern.replace(/\*+\/?\**/g, '*')}"`;
  // The engine matches a rooted file path at every ancestor: `secrets-1/**` catches `/home/dev/repo/secrets-1/x`.
  const glob = (pattern: string) =>
    pattern.startsWith('*') ? like(pattern) : `${like(pattern)} || ${like(`*/${pattern}`)}`;
  const command = (pattern: string) => `context.target like "${pattern}"`;
  const widened = (pattern: string) =>
    pattern.endsWith(' *')
      ? `context.target == "${pattern.slice(0, -2)}" || ${command(pattern)}`
      : command(pattern);
  const server = (name: string) => `context.server == "${name}"`;

  const rules = (
    section: string,
    effect: 'permit' | 'forbid',
    action: string,
    list: readonly string[],
    condition: (item: string) => string,
  ) => {
    list.forEach((item, index) => {
      add(`${section}[${index}]`, effect, action, condition(item));
    });
  };

  rules('filesystem.block_read', 'forbid', 'read_file', filesystem.block_read, glob);
  add('filesystem.read.allow', 'permit', 'read_file');
  rules('filesystem.block_write', 'forbid', 'write_file', filesystem.block_write, glob);
  rules('filesystem.require_approval_write', 'forbid', 'write_file', filesystem.require_approval_write, glob);
  add('filesystem.write.allow', 'permit', 'write_file');
  rules('commands.block', 'forbid', 'execute_command', commands.block, widened);
  rules('commands.require_approval', 'forbid', 'execute_command', commands.require_approval, widened);
  rules('commands.allow', 'permit', 'execute_command', commands.allow, command);
  rules('git.block_push_branches', 'forbid', 'git_push', git.block_push_branches, like);
  add('git.allow', 'permit', 'git_push');
  rules('mcp.blocked_servers', 'forbid', 'mcp_tool_call', mcp.blocked_servers, server);
  rules('mcp.allowed_servers', 'permit', 'mcp_tool_call', mcp.allowed_servers, server);
  if (!mcp.allowlist_enabled && !mcp.block_unknown_servers)
    add('mcp.server.trust.allow', 'permit', 'mcp_tool_call');
  return policies;
}

/** The Cedar request for one runtime request (targets are already normalised in the bench inputs). */
export function toCedarCall(request: RuntimeRequest): Omit<AuthorizationCall, 'policies'> {
  return {
    principal: { type: 'Agent', id: request.agentId },
    action: { type: 'Action', id: request.actionType },
    resource: { type: 'Target', id: request.target },
    context: { target: request.target, server: request.target.split('/')[0] ?? '' },
    entities: [],
  };
}

/** What Cedar's answer means as an engine decision: `[decision, rule id]`. */
export function fromCedarAnswer(
  request: RuntimeRequest,
  answer: AuthorizationAnswer,
): readonly [string, string] {
  if (answer.type === 'failure') throw new Error(answer.errors.map((error) => error.message).join('; '));
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) throw new Error(diagnostics.errors[0]?.error.message);
  const ids = diagnostics.reason;
  if (decision === 'allow') return ['allow', firstByIndex(ids)];
  const blocks = ids.filter((id) => !id.includes('require_approval'));
  if (blocks.length > 0) return ['block', firstByIndex(blocks)];
  if (ids.length > 0) return ['require_approval', firstByIndex(ids)];
  const fallback = UNPERMITTED_DEFAULTS[request.actionType];
  if (!fallback) throw new Error(`no Cedar default for ${request.actionType}`);
  return fallback;
}

// Action types with no permit-by-default policy: Cedar's implicit deny stands for the engine's fail-closed default.
const UNPERMITTED_DEFAULTS: Readonly<Record<string, readonly [string, string]>> = {
  execute_command: ['require_approval', 'commands.default.require_approval'],
  mcp_tool_call: ['block', 'mcp.server.trust.block_unknown'],
};

function firstByIndex(ids: readonly string[]): string {
  const index = (id: string) => Number(/\[(\d+)\]$/.exec(id)?.[1] ?? -1);
  return [...ids].sort((a, b) => index(a) - index(b))[0] ?? '';
}
