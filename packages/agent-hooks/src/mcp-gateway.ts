import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Authority } from './authority.js';
import { mcpMethodKind } from './mcp-methods.js';
import { askDenied, type HookVerdict, judgeActions } from './verdict.js';

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

/** The JSON-RPC error code of a refused request (implementation-defined server error range). */
const REFUSED = -32000;
/** JSON-RPC's "method not found". */
const UNKNOWN_METHOD = -32601;

/**
 * Puts CAVRA between an MCP client and a server: relays every JSON-RPC message both ways, judging each message
 * the client sends by its method (MCP_CLIENT_METHODS): a `call` method (`tools/call`, `resources/read`,
 * `prompts/get`, ...) is judged each time as `mcp_tool_call` of `<server>/<tool>` (`<server>/<method>` for the
 * others) and forwarded only when allowed (`warn`, `audit_only` and `allow_with_attestation` too); a `session`
 * method (`initialize`, lists, notifications) is forwarded once the server is admitted (one decision on
 * `<server>/initialize`; anything but a block, so a blocked or unknown server gets nothing through). A method the
 * table does not hold, spelled in any other way, or a batch, is refused. A refused `tools/call` is a tool result
 * with `isError: true` and the reason; another refused request is a JSON-RPC error with the reason; a refused
 * notification is dropped. A call that waits for an approval is refused naming the request id and the approve
 * command; the same call retried once it is approved passes (the daemon finds the grant). Messages keep their order.
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
  const server = () => options.serverName ?? reportedName;
  const judge = (target: string) =>
    judgeActions(options.authority, [{ actionType: 'mcp_tool_call', target }], {
      sessionId,
      agentId: options.agentId ?? 'mcp-gateway',
      actor: options.actor ?? '',
      ...(options.policyPack ? { policyPack: options.policyPack } : {}),
    });
  // Without --name the server's name comes with its answer to `initialize`: every decision waits for it.
  let initializeId: string | number | undefined;
  let nameKnown: () => void = () => {};
  let named: Promise<void> = Promise.resolve();
  let admission: Promise<HookVerdict> | undefined;
  const admit = () => {
    admission ??= named.then(() => judge(`${server()}/initialize`));
    return admission;
  };
  const refuse = (id: string | number | undefined, code: number, reason: string) =>
    id === undefined
      ? undefined
      : forward(downstream, { jsonrpc: '2.0', id, error: { code, message: reason } } as JSONRPCMessage);

  const fromClient = async (message: JSONRPCMessage) => {
    if (Array.isArray(message)) {
      for (const part of message as { id?: string | number }[]) {
        await refuse(part?.id, UNKNOWN_METHOD, 'CAVRA: a JSON-RPC batch is not relayed, refused');
      }
      return;
    }
    const request = message as {
      id?: string | number;
      method?: unknown;
      params?: { name?: unknown };
      result?: unknown;
      error?: unknown;
    };
    if (request.method === undefined) {
      // The client's answer to a request of the server's (sampling, roots, elicitation).
      if ('result' in request || 'error' in request) await forward(upstream, message);
      return;
    }
    const kind = mcpMethodKind(request.method);
    if (!kind) {
      await refuse(
        request.id,
        UNKNOWN_METHOD,
        `CAVRA: method ${JSON.stringify(request.method)} is not an MCP method the gateway knows, refused`,
      );
      return;
    }
    if (request.method === 'initialize' && !options.serverName && !reportedName) {
      initializeId = request.id;
      named = new Promise((resolve) => {
        nameKnown = resolve;
      });
      await forward(upstream, message);
      return;
    }
    if (kind === 'session') {
      const verdict = await admit();
      if (verdict.permission === 'deny') await refuse(request.id, REFUSED, verdict.reason);
      else await forward(upstream, message);
      return;
    }
    const tool =
      request.method === 'tools/call'
        ? typeof request.params?.name === 'string'
          ? request.params.name
          : ''
        : request.method;
    await named;
    // An ask has nobody to ask here: a refusal, naming the approval request (if any) a retry waits for.
    const verdict = askDenied(await judge(`${server()}/${tool}`));
    if (verdict.permission === 'allow') await forward(upstream, message);
    else if (request.method !== 'tools/call') await refuse(request.id, REFUSED, verdict.reason);
    else if (request.id !== undefined) {
      await forward(downstream, {
        jsonrpc: '2.0',
        id: request.id,
        result: { content: [{ type: 'text', text: verdict.reason }], isError: true },
      });
    }
  };

  const fromServer = async (message: JSONRPCMessage) => {
    const answer = message as { id?: string | number; result?: { serverInfo?: { name?: unknown } } };
    if (initializeId !== undefined && answer.id === initializeId) {
      initializeId = undefined;
      const name = answer.result?.serverInfo?.name;
      if (typeof name === 'string') reportedName = name;
      nameKnown();
      const verdict = await admit();
      if (verdict.permission === 'deny') {
        await refuse(answer.id, REFUSED, verdict.reason);
        return;
      }
    }
    await forward(downstream, message);
  };

  // One queue per direction: judging is asynchronous, and messages must reach the other side in order.
  let clientQueue = Promise.resolve();
  let serverQueue = Promise.resolve();
  downstream.onmessage = (message) => {
    clientQueue = clientQueue.then(() => fromClient(message)).catch(() => void close());
  };
  upstream.onmessage = (message) => {
    serverQueue = serverQueue.then(() => fromServer(message)).catch(() => void close());
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
