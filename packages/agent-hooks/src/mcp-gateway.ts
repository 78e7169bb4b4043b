import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Authority } from './authority.js';
import { judgeActions } from './verdict.js';

export interface McpGatewayOptions {
  readonly authority: Authority;
  /** The server's name in requests (`mcp_tool_call` of `<server>/<tool>`); default: the name it reports itself. */
  readonly serverName?: string;
  /** The session id of the requests; default `mcp-<uuid>`, one per gateway. */
  readonly sessionId?: string;
  /** The `agent_id` of the requests; default `mcp-gateway`. */
  readonly agentId?: string;
  readonly actor?: string;
  readonly policyPack?: string;
}

export interface McpGateway {
  /** Resolves when either side has closed (the server exited, or the client went away), after both are closed. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Puts CAVRA between an MCP client and a server: relays every JSON-RPC message both ways unchanged, except that
 * each `tools/call` is first judged (`mcp_tool_call` of `<server>/<tool>`). A call that is not allowed never
 * reaches the server: the client gets a tool result with `isError: true` and the reason (the approver group
 * named for `require_approval`, which MCP cannot ask a person about here). `warn`, `audit_only` and
 * `allow_with_attestation` calls go through.
 */
export async function startMcpGateway(
  downstream: Transport,
  upstream: Transport,
  options: McpGatewayOptions,
): Promise<McpGateway> {
  const sessionId = options.sessionId ?? `mcp-${randomUUID()}`;
  let reportedName = '';
  let settle: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= Promise.allSettled([downstream.close(), upstream.close()]).then(() => settle());
    return closing;
  };
  const forward = (to: Transport, message: JSONRPCMessage) => to.send(message).catch(() => close());

  upstream.onmessage = (message) => {
    const serverInfo = (message as { result?: { serverInfo?: { name?: unknown } } }).result?.serverInfo;
    if (typeof serverInfo?.name === 'string' && !reportedName) reportedName = serverInfo.name;
    void forward(downstream, message);
  };
  downstream.onmessage = (message) => {
    const request = message as { id?: string | number; method?: string; params?: { name?: unknown } };
    if (request.method !== 'tools/call' || request.id === undefined) {
      void forward(upstream, message);
      return;
    }
    const id = request.id;
    const tool = typeof request.params?.name === 'string' ? request.params.name : '';
    const server = options.serverName ?? reportedName;
    void judgeActions(options.authority, [{ actionType: 'mcp_tool_call', target: `${server}/${tool}` }], {
      sessionId,
      agentId: options.agentId ?? 'mcp-gateway',
      actor: options.actor ?? '',
      ...(options.policyPack ? { policyPack: options.policyPack } : {}),
    }).then((verdict) => {
      if (verdict.permission === 'allow') return forward(upstream, message);
      return forward(downstream, {
        jsonrpc: '2.0',
        id,
        result: { content: [{ type: 'text', text: verdict.reason }], isError: true },
      });
    });
  };
  upstream.onclose = () => void close();
  downstream.onclose = () => void close();
  upstream.onerror = () => {};
  downstream.onerror = () => {};
  await upstream.start();
  await downstream.start();
  return { closed, close };
}

export interface McpGatewayProcessOptions extends McpGatewayOptions {
  readonly command: string;
  readonly args?: readonly string[];
}

/**
 * The gateway on this process's stdin/stdout, in front of a server started as a child process over stdio. The SDK's
 * stdio transports load here, not with the package.
 */
export async function startStdioMcpGateway(options: McpGatewayProcessOptions): Promise<McpGateway> {
  const [{ StdioClientTransport }, { StdioServerTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/server/stdio.js'),
  ]);
  const upstream = new StdioClientTransport({
    command: options.command,
    args: [...(options.args ?? [])],
    // The server gets the environment the MCP client gave the gateway, as it would without the gateway.
    env: Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    stderr: 'inherit',
  });
  return startMcpGateway(new StdioServerTransport(), upstream, options);
}
