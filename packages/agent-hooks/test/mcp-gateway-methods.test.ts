import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_BIN, startTestDaemon, type TestDaemon, writeMcpPack } from './support/test-daemon.js';

// A stdio MCP server of a few lines that writes down every method it receives and answers every request.
const RECORDING_SERVER = `
const { appendFileSync } = require('node:fs');
const log = process.argv[2];
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let end;
  while ((end = buffer.indexOf('\\n')) >= 0) {
    const message = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    appendFileSync(log, JSON.stringify(message.method) + '\\n');
    if (message.id === undefined) continue;
    const result = message.method === 'initialize'
      ? { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: process.argv[3], version: '1' } }
      : { content: [{ type: 'text', text: 'served ' + message.method }] };
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }) + '\\n');
  }
});
`;

let daemon: TestDaemon;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cavra-mcp-methods-'));
  writeFileSync(join(dir, 'server.cjs'), RECORDING_SERVER);
  daemon = await startTestDaemon({ policy_packs: [writeMcpPack(dir)] });
});
afterAll(async () => {
  await daemon.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw messages through the gateway in front of the recording server; returns the answers and what the server got. */
async function session(
  gatewayArgs: readonly string[],
  reportedName: string,
  messages: readonly unknown[],
): Promise<{ answers: Record<string, unknown>[]; served: string[] }> {
  const log = join(dir, `served-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      GATEWAY_BIN,
      '--socket',
      daemon.socketPath,
      '--policy-pack',
      'agent-hooks-test-mcp',
      ...gatewayArgs,
      '--',
      process.execPath,
      join(dir, 'server.cjs'),
      log,
      reportedName,
    ],
    stderr: 'pipe',
  });
  const answers: Record<string, unknown>[] = [];
  transport.onmessage = (message) => {
    answers.push(message as Record<string, unknown>);
  };
  await transport.start();
  const expected = messages.filter((message) => (message as { id?: unknown }).id !== undefined).length;
  for (const message of messages) await transport.send(message as JSONRPCMessage);
  // A last request the gateway always answers, so that every earlier message has been handled when it comes back.
  await transport.send({ jsonrpc: '2.0', id: 'done', method: 'Done' });
  while (answers.length < expected + 1) await new Promise((resolve) => setTimeout(resolve, 20));
  await transport.close();
  const served = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // Refusals come from the gateway, answers from the server: in id order, since the two paths interleave.
  const byId = answers.filter((answer) => answer.id !== 'done').sort((a, b) => Number(a.id) - Number(b.id));
  return { answers: byId, served };
}

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};
const call = (id: number | undefined, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  ...(id === undefined ? {} : { id }),
  method,
  params,
});

describe('cavra-mcp-gateway judges every method a client sends', () => {
  it('a blocked server gets nothing: not initialize, not reads, prompts, completions or notifications', async () => {
    const { answers, served } = await session(['--name', 'shell'], 'shell', [
      initialize,
      call(undefined, 'notifications/initialized'),
      call(1, 'resources/read', { uri: 'file:///etc/passwd' }),
      call(2, 'prompts/get', { name: 'p' }),
      call(3, 'completion/complete', {
        ref: { type: 'ref/prompt', name: 'p' },
        argument: { name: 'a', value: '' },
      }),
      call(4, 'tools/call', { name: 'exec', arguments: {} }),
      call(undefined, 'tools/call', { name: 'exec', arguments: {} }),
    ]);
    expect(served).toEqual([]);
    const reason =
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'shell' is blocked (mcp.blocked_servers[0])";
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: 0, error: { code: -32000, message: reason } },
      { jsonrpc: '2.0', id: 1, error: { code: -32000, message: reason } },
      { jsonrpc: '2.0', id: 2, error: { code: -32000, message: reason } },
      { jsonrpc: '2.0', id: 3, error: { code: -32000, message: reason } },
      { jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text', text: reason }], isError: true } },
    ]);
  });

  it('an unknown server named only by its own initialize answer is refused there', async () => {
    const { answers, served } = await session([], 'stranger', [initialize, call(1, 'tools/list')]);
    // initialize reaches the server (its answer names it); nothing after the refusal does.
    expect(served).toEqual(['"initialize"']);
    const reason =
      "CAVRA block (mcp.server.trust.block_unknown): MCP server 'stranger' is not on the allow list and unknown servers are blocked";
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: 0, error: { code: -32000, message: reason } },
      { jsonrpc: '2.0', id: 1, error: { code: -32000, message: reason } },
    ]);
  });

  it('an allowed server: methods it knows go through; other spellings and unknown methods are refused', async () => {
    const { answers, served } = await session(['--name', 'docs'], 'docs', [
      initialize,
      call(undefined, 'notifications/initialized'),
      call(1, 'tools/call', { name: 'search' }),
      call(2, 'Tools/Call', { name: 'search' }),
      call(3, 'tools/call ', { name: 'search' }),
      call(4, 'resources/read', { uri: 'docs://x' }),
      call(5, 'admin/shutdown'),
      call(undefined, 'Notifications/Initialized'),
    ]);
    expect(served).toEqual([
      '"initialize"',
      '"notifications/initialized"',
      '"tools/call"',
      '"resources/read"',
    ]);
    expect(answers.map((answer) => [answer.id, answer.error ?? 'result'])).toEqual([
      [0, 'result'],
      [1, 'result'],
      [
        2,
        {
          code: -32601,
          message: 'CAVRA: method "Tools/Call" is not an MCP method the gateway knows, refused',
        },
      ],
      [
        3,
        {
          code: -32601,
          message: 'CAVRA: method "tools/call " is not an MCP method the gateway knows, refused',
        },
      ],
      [4, 'result'],
      [
        5,
        {
          code: -32601,
          message: 'CAVRA: method "admin/shutdown" is not an MCP method the gateway knows, refused',
        },
      ],
    ]);
    const targets = (await daemon.evidence())
      .map((record) => (record.decision as Record<string, unknown>).target)
      .filter((target) => String(target).startsWith('docs/'));
    expect(targets).toEqual(['docs/initialize', 'docs/search', 'docs/resources/read']);
  });
});
