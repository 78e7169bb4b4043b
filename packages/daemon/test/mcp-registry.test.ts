import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { DaemonProcess, killDaemons } from './support/daemon-process.js';
import { evaluate, RawClient } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const REGISTRY = {
  mcp_servers: [
    { server_id: 'tickets', trust_tier: 'approved', approval_state: 'approved', allowed_tools: ['create'] },
    { server_id: 'paste', trust_tier: 'blocked', approval_state: 'approved' },
  ],
};

async function decide(socketPath: string, server: string, tool: string) {
  const client = await RawClient.connect(socketPath);
  client.send(
    evaluate('1', { session_id: 's', agent_id: 'a', actor: 'x', action_type: 'mcp_tool_call', server, tool }),
  );
  const answer = await client.next();
  client.socket.end();
  return [answer?.decision.decision, answer?.decision.rule_id];
}

describe('a daemon with an MCP trust registry', () => {
  it('decides MCP calls by the registry, and keeps it when a reload reads a malformed one', async () => {
    const dir = tempDir();
    const registry = join(dir, 'mcp-registry.json');
    await writeFile(registry, JSON.stringify(REGISTRY));
    const configFile = join(dir, 'cavra-daemon.yaml');
    await writeFile(
      configFile,
      'socket_path: run/d.sock\nevidence_log: ev.jsonl\nmcp_registry: mcp-registry.json\n',
    );
    const socketPath = join(dir, 'run', 'd.sock');
    const daemon = await DaemonProcess.start(configFile, socketPath);
    expect(await decide(socketPath, 'tickets', 'create')).toEqual(['allow', 'mcp.registry.allow']);
    expect(await decide(socketPath, 'paste', 'upload')).toEqual(['block', 'mcp.registry.blocked']);
    expect(await decide(socketPath, 'unheard-of', 'x')).toEqual(['block', 'mcp.registry.unknown']);

    await writeFile(registry, '{"mcp_servers": [{"trust_tier": "approved"}]}');
    daemon.child.kill('SIGHUP');
    await daemon.logged('reload failed; keeping the current policy and keys');
    const failed = daemon
      .logs()
      .find((line) => line.msg === 'reload failed; keeping the current policy and keys');
    expect(failed?.error).toContain(registry);
    expect(await decide(socketPath, 'tickets', 'create')).toEqual(['allow', 'mcp.registry.allow']);
    expect(await daemon.stop()).toBe(0);
  });
});
