/**
 * How the gateway treats a method an MCP client sends:
 * - `call`: acts through the server (runs a tool, reads a resource, renders a prompt, completes an argument);
 *   judged each time, as `mcp_tool_call` of `<server>/<tool name>` for `tools/call`, else `<server>/<method>`;
 * - `session`: opens, keeps or lists the session; forwarded only once the server is admitted (one decision on
 *   `<server>/initialize` per gateway, which refuses a blocked or unknown server).
 * A method not in the table, spelled in any other way (`Tools/Call`, `tools/call `), is refused.
 */
export type McpMethodKind = 'call' | 'session';

const SCHEMA = 'https://modelcontextprotocol.io/specification/2025-06-18/schema';

/** The client-to-server methods of MCP 2025-06-18 (ClientRequest and ClientNotification in the schema). */
export const MCP_CLIENT_METHODS: Readonly<Record<string, { kind: McpMethodKind; source: string }>> = {
  initialize: { kind: 'session', source: `${SCHEMA}#initializerequest` },
  ping: { kind: 'session', source: `${SCHEMA}#pingrequest` },
  'tools/list': { kind: 'session', source: `${SCHEMA}#listtoolsrequest` },
  'tools/call': { kind: 'call', source: `${SCHEMA}#calltoolrequest` },
  'resources/list': { kind: 'session', source: `${SCHEMA}#listresourcesrequest` },
  'resources/templates/list': { kind: 'session', source: `${SCHEMA}#listresourcetemplatesrequest` },
  'resources/read': { kind: 'call', source: `${SCHEMA}#readresourcerequest` },
  'resources/subscribe': { kind: 'call', source: `${SCHEMA}#subscriberequest` },
  'resources/unsubscribe': { kind: 'session', source: `${SCHEMA}#unsubscriberequest` },
  'prompts/list': { kind: 'session', source: `${SCHEMA}#listpromptsrequest` },
  'prompts/get': { kind: 'call', source: `${SCHEMA}#getpromptrequest` },
  'completion/complete': { kind: 'call', source: `${SCHEMA}#completerequest` },
  'logging/setLevel': { kind: 'session', source: `${SCHEMA}#setlevelrequest` },
  'notifications/initialized': { kind: 'session', source: `${SCHEMA}#initializednotification` },
  'notifications/cancelled': { kind: 'session', source: `${SCHEMA}#cancellednotification` },
  'notifications/progress': { kind: 'session', source: `${SCHEMA}#progressnotification` },
  'notifications/roots/list_changed': { kind: 'session', source: `${SCHEMA}#rootslistchangednotification` },
};

/** The kind of a method as sent, exactly; undefined for any method the gateway does not know. */
export function mcpMethodKind(method: unknown): McpMethodKind | undefined {
  if (typeof method !== 'string' || !Object.hasOwn(MCP_CLIENT_METHODS, method)) return undefined;
  return MCP_CLIENT_METHODS[method]?.kind;
}
