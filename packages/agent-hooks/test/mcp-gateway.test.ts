import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApprover, testApprover } from './support/approver.js';
import { GATEWAY_BIN, startTestDaemon, type TestDaemon, writeMcpPack } from './support/test-daemon.js';

// The real filesystem server from npm, run over stdio behind the gateway.
const FILESYSTEM_SERVER = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-filesystem/dist/index.js',
);

let daemon: TestDaemon;
let strict: TestDaemon;
/** Strict, with approvals: alice approves for mcp-owners. */
let approving: TestDaemon;
let alice: TestApprover;
let files: string;
beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'cavra-mcp-files-'));
  const pack = writeMcpPack(files);
  alice = await testApprover();
  daemon = await startTestDaemon({ policy_packs: [pack] });
  strict = await startTestDaemon({ policy_packs: [pack], mode: 'strict' });
  approving = await startTestDaemon({
    policy_packs: [pack],
    mode: 'strict',
    approvals: alice.approvals('mcp-owners'),
  });
  writeFileSync(join(files, 'hello.txt'), 'hello from the filesystem server\n');
});
afterAll(async () => {
  await Promise.all([daemon.close(), strict.close(), approving.close()]);
  await rm(files, { recursive: true, force: true });
});

async function connect(socketPath: string, name: string): Promise<Client> {
  const client = new Client({ name: 'cavra-test-client', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [
        GATEWAY_BIN,
        '--socket',
        socketPath,
        '--name',
        name,
        // The daemon's only pack is not the baseline: the request names it, so the decision echoes what was asked.
        '--policy-pack',
        'agent-hooks-test-mcp',
        '--',
        process.execPath,
        FILESYSTEM_SERVER,
        files,
      ],
      stderr: 'pipe',
    }),
  );
  return client;
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text: string }[]).map((part) => part.text).join('');
}

describe('cavra-mcp-gateway in front of @modelcontextprotocol/server-filesystem', () => {
  it('forwards the server as it is, and an allowed tools/call reaches it', async () => {
    const client = await connect(daemon.socketPath, 'filesystem');
    try {
      expect(client.getServerVersion()?.name).toBe('secure-filesystem-server');
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('read_text_file');
      const result = await client.callTool({
        name: 'read_text_file',
        arguments: { path: join(files, 'hello.txt') },
      });
      expect(result.isError).toBeFalsy();
      expect(text(result)).toBe('hello from the filesystem server\n');
    } finally {
      await client.close();
    }
    const records = await daemon.evidence();
    // The server is admitted once (its initialize), then each call is judged.
    expect(records.map((record) => (record.decision as Record<string, unknown>).target)).toEqual([
      'filesystem/initialize',
      'filesystem/read_text_file',
    ]);
    expect(records[1]?.decision).toMatchObject({
      agent_id: 'mcp-gateway',
      action_type: 'mcp_tool_call',
      decision: 'allow',
      rule_id: 'mcp.server.trust.allow',
    });
  });

  it('a blocked server: nothing reaches it, initialize is refused with the reason', async () => {
    await expect(connect(daemon.socketPath, 'shell')).rejects.toThrow(
      "MCP error -32000: CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])",
    );
    const last = (await daemon.evidence()).at(-1)?.decision as Record<string, unknown>;
    expect(last).toMatchObject({ target: 'shell/initialize', decision: 'block' });
  });

  it('an approval-gated call is a tool error naming the approver group', async () => {
    const client = await connect(strict.socketPath, 'filesystem');
    try {
      const result = await client.callTool({ name: 'list_directory', arguments: { path: files } });
      expect(result.isError).toBe(true);
      expect(text(result)).toBe(
        "CAVRA require_approval (mcp.server.trust.allow): strict mode requires approval for allow: MCP server 'filesystem' is on the allow list (mcp.allowed_servers[0]) (approver group: mcp-owners)",
      );
    } finally {
      await client.close();
    }
    const last = (await strict.evidence()).at(-1)?.decision as Record<string, unknown>;
    expect(last).toMatchObject({ target: 'filesystem/list_directory', decision: 'require_approval' });
  });

  it('a call waiting for approval is a tool error naming the request; the same call after approval reaches the server', async () => {
    const client = await connect(approving.socketPath, 'filesystem');
    try {
      const call = { name: 'read_text_file', arguments: { path: join(files, 'hello.txt') } };
      const refused = await client.callTool(call);
      const records = await approving.evidence();
      const id = (records.filter((record) => record.decision).at(-1)?.decision as { decision_id?: string })
        ?.decision_id;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toBe(
        `CAVRA require_approval (mcp.server.trust.allow): strict mode requires approval for allow: MCP server 'filesystem' is on the allow list (mcp.allowed_servers[0]) (approval request ${id}: cavra approval approve ${id}) (approver group: mcp-owners); retry the same call once it is approved`,
      );
      await alice.approve(approving.socketPath, id ?? '');
      const passed = await client.callTool(call);
      expect(passed.isError).toBeFalsy();
      expect(text(passed)).toBe('hello from the filesystem server\n');
    } finally {
      await client.close();
    }
  });

  it('no daemon: the session is refused with the reason', async () => {
    const socket = join(daemon.dir, 'nobody.sock');
    await expect(connect(socket, 'filesystem')).rejects.toThrow(
      `MCP error -32000: CAVRA: no decision, denied: no CAVRA daemon answers at ${socket}; start it with: npx cavra-daemon start --config <the cavra-daemon.yaml whose socket_path is that socket>`,
    );
  });
});
