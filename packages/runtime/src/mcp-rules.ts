import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';

/**
 * mcp_tool_call: the target is `server` or `server/tool`. A blocked server is blocked; with the allow list
 * enabled, a server not on it is blocked too (fail closed); otherwise the call is allowed.
 */
export function evaluateMcpCall(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const server = request.target.trim().split('/')[0] ?? '';
  const { mcp } = pack.resolved;
  if (pack.matchers.blockedServers.has(server)) {
    return packOutcome(
      pack,
      'block',
      `mcp.blocked_servers[${mcp.blocked_servers.indexOf(server)}]`,
      `MCP server ${quoteTarget(server)} is blocked`,
    );
  }
  if (pack.matchers.allowedServers.has(server)) {
    return packOutcome(
      pack,
      'allow',
      `mcp.allowed_servers[${mcp.allowed_servers.indexOf(server)}]`,
      `MCP server ${quoteTarget(server)} is on the allow list`,
    );
  }
  if (mcp.allowlist_enabled) {
    return packOutcome(
      pack,
      'block',
      'mcp.allowlist',
      `MCP server ${quoteTarget(server)} is not on the allow list`,
    );
  }
  return packOutcome(pack, 'allow', 'mcp.default', `no MCP rule restricts server ${quoteTarget(server)}`);
}
