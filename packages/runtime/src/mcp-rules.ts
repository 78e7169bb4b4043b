import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import type { McpTrustRegistry } from './mcp-registry.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/** The MCP call a request names: from upstream's `server`/`tool`/`capability` keys, else from the target. */
export interface McpCall {
  readonly server: string;
  readonly tool: string;
  readonly capability: string;
}

/**
 * The call of an mcp_tool_call request. With upstream's keys the server and tool are `server` and `tool`; otherwise
 * the target is `server`, `server:tool` (upstream's decided target) or `server/tool` (ours). Undefined when the
 * keys and the target name different calls: the request is then refused, since either reading could be the one
 * a client acts on.
 */
export function mcpCall(request: RuntimeRequest): McpCall | undefined {
  const target = request.target.trim();
  const keys = request.mcp;
  if (keys && keys.server !== '') {
    const agrees =
      target === '' ||
      target === keys.server ||
      target === `${keys.server}:${keys.tool}` ||
      target === `${keys.server}/${keys.tool}`;
    return agrees ? keys : undefined;
  }
  const separator = target.search(/[:/]/);
  return {
    server: separator < 0 ? target : target.slice(0, separator),
    tool: separator < 0 ? (keys?.tool ?? '') : target.slice(separator + 1),
    capability: keys?.capability ?? '',
  };
}

/**
 * mcp_tool_call. With a trust registry, upstream's registry rules (see evaluateWithRegistry), where a server on the
 * pack's `blocked_servers` is still blocked; without one, the pack's lists: a blocked server, or one on no list while unknown servers are blocked (`block_unknown_servers`,
 * default true, or `allowlist_enabled`), is `mcp.server.trust.block_unknown`; otherwise `mcp.server.trust.allow`.
 */
export function evaluateMcpCall(
  request: RuntimeRequest,
  pack: CompiledPolicyPack,
  registry?: McpTrustRegistry,
): RuleOutcome {
  const call = mcpCall(request);
  if (!call) {
    return ruleOutcome(
      pack,
      'request.invalid_target',
      `mcp_tool_call target ${quoteTarget(request.target)} names another call than its server and tool keys`,
    );
  }
  const { mcp } = pack.resolved;
  const server = call.server;
  const viaRegistry = registry ? evaluateWithRegistry(call, pack, registry) : undefined;
  if (viaRegistry?.decision === 'block') return viaRegistry;
  // The pack's block list still blocks beside a registry that would let the server through (ours, stricter).
  const blocked = mcp.blocked_servers.indexOf(server);
  if (blocked >= 0) {
    return ruleOutcome(
      pack,
      'mcp.server.trust.block_unknown',
      `MCP server ${quoteTarget(server)} is blocked (mcp.blocked_servers[${blocked}])`,
    );
  }
  if (viaRegistry) return viaRegistry;
  const allowed = mcp.allowed_servers.indexOf(server);
  if (allowed >= 0) {
    return ruleOutcome(
      pack,
      'mcp.server.trust.allow',
      `MCP server ${quoteTarget(server)} is on the allow list (mcp.allowed_servers[${allowed}])`,
    );
  }
  if (mcp.block_unknown_servers || mcp.allowlist_enabled) {
    return ruleOutcome(
      pack,
      'mcp.server.trust.block_unknown',
      `MCP server ${quoteTarget(server)} is not on the allow list and unknown servers are blocked`,
    );
  }
  return ruleOutcome(pack, 'mcp.server.trust.allow', `no MCP rule restricts server ${quoteTarget(server)}`);
}

/**
 * Upstream's registry rules, in order: an unregistered server blocks; trust tier `blocked` or approval `denied`
 * blocks; approval `pending` or tier `unknown`/`experimental` needs approval; a tool outside a non-empty
 * `allowed_tools`, then a capability outside a non-empty `capabilities`, needs approval; otherwise allow. States
 * are compared trimmed, lower-cased and with `-` read as `_`, so `Blocked` blocks too.
 */
function evaluateWithRegistry(
  call: McpCall,
  pack: CompiledPolicyPack,
  registry: McpTrustRegistry,
): RuleOutcome {
  const record = registry.find(call.server);
  const server = quoteTarget(call.server);
  if (!record) return ruleOutcome(pack, 'mcp.registry.unknown', `MCP server ${server} is not registered`);
  const tier = normalizeState(record.trust_tier);
  const approval = normalizeState(record.approval_state ?? '');
  if (tier === 'blocked' || approval === 'denied') {
    return ruleOutcome(
      pack,
      'mcp.registry.blocked',
      `MCP server ${server} is ${tier === 'blocked' ? 'blocked' : 'denied'} in the trust registry`,
    );
  }
  if (approval === 'pending' || tier === 'unknown' || tier === 'experimental') {
    return ruleOutcome(
      pack,
      'mcp.registry.requires_approval',
      `MCP server ${server} (trust tier ${quoteTarget(tier)}, approval ${quoteTarget(approval)}) needs trust approval before use`,
    );
  }
  const tools = record.allowed_tools ?? [];
  if (tools.length > 0 && !tools.includes(call.tool)) {
    return ruleOutcome(
      pack,
      'mcp.registry.tool_scope',
      `MCP tool ${quoteTarget(call.tool)} is outside the approved tools of server ${server}`,
    );
  }
  const capabilities = record.capabilities ?? [];
  if (call.capability !== '' && capabilities.length > 0 && !capabilities.includes(call.capability)) {
    return ruleOutcome(
      pack,
      'mcp.registry.capability_scope',
      `MCP capability ${quoteTarget(call.capability)} is outside the approved capabilities of server ${server}`,
    );
  }
  return ruleOutcome(pack, 'mcp.registry.allow', `MCP server ${server} is approved in the trust registry`);
}

function normalizeState(value: string): string {
  return value.trim().toLowerCase().replaceAll('-', '_');
}
