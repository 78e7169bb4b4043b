import { readFile } from 'node:fs/promises';
import { shareInstanceof } from '@cavra/contracts';
import { mcpRegistry as validate } from './generated/schema-validators.js';
import { cannotReadMessage } from './io-message.js';
import { schemaIssues } from './schema-issues.js';

/** One server of an MCP trust registry, in upstream CAVRA's registry format. */
export interface McpServerRecord {
  readonly server_id: string;
  /** A second name the server is looked up by. */
  readonly name?: string;
  /** e.g. `approved`, `experimental`, `unknown`, `blocked`. */
  readonly trust_tier: string;
  /** e.g. `approved`, `pending`, `denied`. */
  readonly approval_state?: string;
  /** Capabilities the server is approved for; empty or absent: any. */
  readonly capabilities?: readonly string[];
  /** Tools the server is approved for; empty or absent: any. */
  readonly allowed_tools?: readonly string[];
}

/** A loaded registry: look a server up by its `server_id` or `name`. Immutable. */
export interface McpTrustRegistry {
  readonly servers: readonly McpServerRecord[];
  find(server: string): McpServerRecord | undefined;
}

/** Why a registry was refused; `issues` name every offending path (`/mcp_servers/2/allowed_tools`). */
export class McpRegistryError extends Error {
  readonly source: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(source: string, issues: readonly { readonly path: string; readonly message: string }[]) {
    super(
      `MCP trust registry ${source}: ${issues.map((issue) => `${issue.path || '/'}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'McpRegistryError';
    this.source = source;
    this.issues = issues;
  }
}
shareInstanceof(McpRegistryError, '@cavra/runtime.McpRegistryError');

/** Largest registry text accepted. */
export const MAX_MCP_REGISTRY_BYTES = 1024 * 1024;

/**
 * Parses a registry (`{"mcp_servers": [...]}`, upstream's format). Throws McpRegistryError for text that is not
 * JSON, a key no runtime knows (a misspelt `allowed_tools` would silently widen a server's scope), a missing
 * `server_id` or `trust_tier`, a wrong type, or two records claiming one name.
 */
export function parseMcpTrustRegistry(text: string, source = '<inline>'): McpTrustRegistry {
  if (Buffer.byteLength(text, 'utf8') > MAX_MCP_REGISTRY_BYTES) {
    throw new McpRegistryError(source, [
      { path: '', message: `larger than ${MAX_MCP_REGISTRY_BYTES} bytes` },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new McpRegistryError(source, [{ path: '', message: (error as Error).message }]);
  }
  if (!validate(value)) throw new McpRegistryError(source, schemaIssues(validate.errors));
  const servers = (value as { mcp_servers: McpServerRecord[] }).mcp_servers;
  const byName = new Map<string, McpServerRecord>();
  const issues: { path: string; message: string }[] = [];
  servers.forEach((record, index) => {
    for (const [key, name] of [
      ['server_id', record.server_id],
      ['name', record.name],
    ] as const) {
      if (name === undefined) continue;
      const other = byName.get(name);
      if (other && other !== record) {
        issues.push({ path: `/mcp_servers/${index}/${key}`, message: `'${name}' names two servers` });
      }
      byName.set(name, record);
    }
  });
  if (issues.length > 0) throw new McpRegistryError(source, issues);
  return Object.freeze({
    servers: Object.freeze([...servers]),
    find: (server: string) => byName.get(server),
  });
}

/** Reads and parses a registry file; unreadable files are McpRegistryError too. */
export async function loadMcpTrustRegistryFile(path: string): Promise<McpTrustRegistry> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new McpRegistryError(path, [{ path: '', message: cannotReadMessage(error) }]);
  }
  if (buffer.length > MAX_MCP_REGISTRY_BYTES) {
    throw new McpRegistryError(path, [{ path: '', message: `larger than ${MAX_MCP_REGISTRY_BYTES} bytes` }]);
  }
  return parseMcpTrustRegistry(buffer.toString('utf8'), path);
}
