/**
 * Interoperability with upstream CAVRA's Go runtime (`go/cavra-runtime/daemon`), without Go: an upstream-style
 * daemon and client written here from upstream's documented interface facts (this package's README, "Using with
 * the upstream Go daemon"), the upstream HMAC computed here with node:crypto alone, and each direction
 * exercised end to end over real Unix sockets.
 *
 * Facts used: one JSON EvaluateRequest per connection, read as one JSON value (a newline is not required, the
 * half-close ends it); one JSON DecisionResponse and a newline back, then close; empty fields left out (proto3
 * JSON, Go `omitempty`); HMAC-SHA256 over `cavra.runner-auth.v1` and the ten `field=value` identity lines joined by
 * `\n`, lower-case hex; a failed runner check is `block`, `runner_auth.invalid`, `critical`, reason starting
 * `runner authentication failed`; the daemon adds `go-daemon-evidence://<record id>` to the decision; its daemon
 * request drops `operation`, `server`, `tool`, `capability` and `record`, and its engine names the target and
 * operation it decided (goDaemonEcho: `read` / `write` for files, the trimmed command, `:` for an MCP call, ...).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRunnerClaims, signRunnerIdentity } from '@cavra/auth';
import { createClient, withRunnerAuth } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
// The Go daemon's echo and fill-ins, kept in one place for every upstream-style fake of the repository.
import { goDaemonEcho, omitEmpty } from '../../daemon-client/test/support/go-daemon-answer.js';
import { removeTempDirs, type Started, startTestDaemon } from './support/daemon-fixture.js';
import { upstreamStyleClient } from './support/upstream-style-client.js';

const SECRET = 'interop-test-secret-0123456789abcdef-not-for-production';
const IDENTITY = {
  provider: 'github-actions',
  repository: 'acme/app',
  workflow: 'ci',
  run_id: '42',
  run_attempt: '1',
  ref: 'refs/heads/main',
  sha: 'abc123',
  actor: 'octocat',
  job: 'build',
  runner_name: 'runner-7',
};
const READ_ENV = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: '.env',
  requested_operation: 'read',
  policy_pack: 'cavra-ai-agent-baseline',
};
const READ_README = { ...READ_ENV, target: 'README.md' };

/** Upstream's identity-only MAC, computed from the published form only. */
function upstreamSignature(identity: Record<string, string>, secret: string): string {
  const fields = [
    'provider',
    'repository',
    'workflow',
    'run_id',
    'run_attempt',
    'ref',
    'sha',
    'actor',
    'job',
    'runner_name',
  ];
  const text = ['cavra.runner-auth.v1', ...fields.map((field) => `${field}=${identity[field] ?? ''}`)].join(
    '\n',
  );
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex');
}

// biome-ignore lint/suspicious/noExplicitAny: the wire JSON of either side, read field by field.
type Json = Record<string, any>;

/**
 * An upstream-style daemon: one JSON value per connection, runner auth by the identity-only HMAC when a key is
 * set, a one-rule policy (`.env` is blocked) standing in for upstream's engine (an MCP call, whose server and tool
 * its daemon request drops, is an unregistered server), the request echoed with upstream's fill-ins, one JSON answer
 * and a newline, close.
 */
class UpstreamStyleDaemon {
  readonly socketPath = join(mkdtempSync(join(tmpdir(), 'cavra-up-')), 'cavra-runtime.sock');
  readonly requests: Json[] = [];
  #server: Server | undefined;

  constructor(readonly hmacKey?: { readonly keyId: string; readonly secret: string }) {}

  async start(): Promise<this> {
    this.#server = createServer({ allowHalfOpen: true }, (socket) => {
      let text = '';
      let answered = false;
      const answer = () => {
        if (answered || text.trim() === '') return;
        answered = true;
        const request = JSON.parse(text) as Json;
        this.requests.push(request);
        socket.end(`${JSON.stringify(omitEmpty(this.#decide(request)))}\n`);
      };
      socket.setEncoding('utf8');
      socket.on('error', () => {});
      socket.on('data', (chunk: string) => {
        text += chunk;
        try {
          JSON.parse(text); // a complete JSON value, newline or not, as a streaming decoder reads it
          answer();
        } catch {}
      });
      socket.on('end', answer);
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.socketPath, resolve));
    return this;
  }

  #decide(request: Json): Json {
    // The auth block echoes the decoded request's fields as they are; a decision, the engine's fill-ins.
    const echo = {
      session_id: request.session_id ?? '',
      agent_id: request.agent_id ?? '',
      actor: request.actor ?? '',
      action_type: request.action_type ?? '',
      target: request.target ?? '',
      requested_operation: request.requested_operation ?? '',
      policy_pack: request.policy_pack ?? '',
    };
    const decided = goDaemonEcho(request);
    const authError = this.hmacKey ? this.#authError(request.runner_auth) : undefined;
    const decision: Json = authError
      ? {
          ...echo,
          rule_id: 'runner_auth.invalid',
          decision: 'block',
          severity: 'critical',
          reason: `runner authentication failed: ${authError}`,
        }
      : {
          decision_id: 'dec_0123456789ab',
          ...decided,
          policy_id: decided.policy_pack,
          ...(decided.action_type === 'mcp_tool_call'
            ? {
                rule_id: 'mcp.registry.unknown',
                decision: 'block',
                severity: 'high',
                reason: 'MCP server is not registered.',
              }
            : decided.target === '.env'
              ? {
                  rule_id: 'filesystem.read.block',
                  decision: 'block',
                  severity: 'high',
                  reason: 'blocked read',
                }
              : {
                  rule_id: 'filesystem.read.allow',
                  decision: 'allow',
                  severity: 'low',
                  reason: 'allowed read',
                }),
          evidence_refs: [`evidence://${decided.session_id}/dec_0123456789ab`],
          timestamp: '2026-11-25T10:00:00Z',
          correlation_id: 'corr_0123456789ab',
        };
    const recordId = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 24);
    return {
      ...decision,
      evidence_refs: [...(decision.evidence_refs ?? []), `go-daemon-evidence://${recordId}`],
    };
  }

  #authError(auth: Json | undefined): string | undefined {
    if (!auth) return 'runner_auth is required';
    if (auth.key_id !== this.hmacKey?.keyId) return 'runner_auth key_id mismatch';
    const expected = Buffer.from(upstreamSignature(auth.identity ?? {}, this.hmacKey?.secret ?? ''));
    const given = Buffer.from(String(auth.signature).toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return 'runner_auth signature is invalid';
    return undefined;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

const daemons: (Started | UpstreamStyleDaemon)[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    if (daemon instanceof UpstreamStyleDaemon) await daemon.stop();
    else await daemon.daemon.close();
  }
});
afterAll(removeTempDirs);

async function ours(raw: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const started = await startTestDaemon(raw, env);
  daemons.push(started);
  return started;
}
async function theirs(hmacKey?: { keyId: string; secret: string }) {
  const daemon = await new UpstreamStyleDaemon(hmacKey).start();
  daemons.push(daemon);
  return daemon;
}

describe('our client -> an upstream-style daemon', () => {
  it("gets upstream's decisions with protocol: 'upstream' (one bare request per connection)", async () => {
    const daemon = await theirs();
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    const blocked = await client.evaluate(READ_ENV);
    expect([blocked.decision, blocked.rule_id, blocked.approver_group]).toEqual([
      'block',
      'filesystem.read.block',
      '',
    ]);
    expect(blocked.evidence_refs[1]).toMatch(/^go-daemon-evidence:\/\/[0-9a-f]{24}$/);
    expect((await client.evaluate(READ_README)).decision).toBe('allow');
    expect(daemon.requests).toEqual([READ_ENV, READ_README]);
    await client.close();
  });

  it("authenticates with upstream's identity-only HMAC, which that daemon verifies; our request-bound form it refuses", async () => {
    const daemon = await theirs({ keyId: 'upstream-runners', secret: SECRET });
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    const upstreamSigned = withRunnerAuth(
      client,
      { hmac: { keyId: 'upstream-runners', secret: SECRET, scheme: 'cavra.runner-auth.v1' } },
      { identity: IDENTITY },
    );
    expect((await upstreamSigned.evaluate(READ_README)).rule_id).toBe('filesystem.read.allow');
    const boundSigned = withRunnerAuth(
      client,
      { hmac: { keyId: 'upstream-runners', secret: SECRET } },
      { identity: IDENTITY },
    );
    const refused = await boundSigned.evaluate(READ_README);
    expect([refused.decision, refused.rule_id, refused.severity, refused.reason]).toEqual([
      'block',
      'runner_auth.invalid',
      'critical',
      'runner authentication failed: runner_auth signature is invalid',
    ]);
    await client.close();
  });

  it('gets a decision for every request kind, with the fill-ins and dropped keys of the Go daemon', async () => {
    const daemon = await theirs();
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    const answers = [];
    for (const request of [
      { action_type: 'read_file', target: 'README.md' },
      { action_type: 'write_file', target: 'src/app.ts' },
      { action_type: 'execute_command', target: 'npm test' },
      { action_type: 'git_operation', target: 'origin/feature-x' },
      { action_type: 'mcp_tool_call', target: 'github:create_issue' },
    ]) {
      const decision = await client.evaluate({ session_id: 'session-2', ...request });
      answers.push([decision.action_type, decision.target, decision.requested_operation, decision.rule_id]);
    }
    expect(answers).toEqual([
      ['read_file', 'README.md', 'read', 'filesystem.read.allow'],
      ['write_file', 'src/app.ts', 'write', 'filesystem.read.allow'],
      ['execute_command', 'npm test', 'npm test', 'filesystem.read.allow'],
      ['git_operation', 'origin/feature-x', 'origin/feature-x', 'filesystem.read.allow'],
      ['mcp_tool_call', ':', '', 'mcp.registry.unknown'],
    ]);
    await client.close();
  });

  it('reports the missing health call as not_supported, not as a decision', async () => {
    const daemon = await theirs();
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    await expect(client.health()).rejects.toMatchObject({ code: 'not_supported' });
    expect(daemon.requests).toEqual([]);
  });
});

describe('an upstream-style client -> our daemon', () => {
  it.each(['newline', 'half-close'] as const)(
    'is decided when the request ends with a %s',
    async (ending) => {
      const { daemon } = await ours();
      const answer = await upstreamStyleClient(daemon.socketPath, READ_ENV, ending);
      expect([answer.decision, answer.rule_id, answer.target, answer.session_id]).toEqual([
        'block',
        'filesystem.read.block',
        '.env',
        'session-1',
      ]);
      expect(Object.keys(answer)).toHaveLength(17);
    },
  );

  it('gets a block decision, never an error object, for a request our daemon cannot decide', async () => {
    const { daemon } = await ours();
    const answer = await upstreamStyleClient(
      daemon.socketPath,
      { ...READ_ENV, policy_pack: 'unknown-pack' },
      'newline',
    );
    expect([answer.decision, answer.rule_id, answer.error]).toEqual([
      'block',
      'daemon.unknown_policy_pack',
      undefined,
    ]);
  });

  it('reads a block, not an empty decision, when our daemon turns its connection away', async () => {
    const { daemon } = await ours({ limits: { max_connections: 1 } });
    const holder = connect(daemon.socketPath);
    await new Promise((resolve) => holder.once('connect', resolve));
    while (daemon.health().counts.connections < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const answer = await upstreamStyleClient(daemon.socketPath, READ_ENV, 'newline');
    expect([answer.decision, answer.rule_id]).toEqual(['block', 'daemon.overloaded']);
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    await expect(client.evaluate(READ_ENV)).rejects.toMatchObject({
      code: 'daemon_error',
      daemonCode: 'overloaded',
    });
    holder.destroy();
  });

  it('is authenticated by an upstream-format HMAC for a key marked cavra.runner-auth.v1, and the evidence says so', async () => {
    const { daemon, config } = await ours(
      {
        runner_auth: {
          required: true,
          hmac: {
            keys: [
              { key_id: 'upstream-runners', secret_env: 'UPSTREAM_KEY', scheme: 'cavra.runner-auth.v1' },
            ],
          },
        },
      },
      { UPSTREAM_KEY: SECRET },
    );
    const runnerAuth = {
      identity: IDENTITY,
      algorithm: 'HMAC-SHA256',
      key_id: 'upstream-runners',
      signature: upstreamSignature(IDENTITY, SECRET),
    };
    const answer = await upstreamStyleClient(
      daemon.socketPath,
      { ...READ_README, runner_auth: runnerAuth },
      'newline',
    );
    expect([answer.decision, answer.policy_id]).toEqual(['allow', 'cavra-ai-agent-baseline']);
    const [record] = (await readFile(config.evidenceLog, 'utf8'))
      .split('\n')
      .map((line) => (line ? JSON.parse(line) : undefined));
    expect([
      record.authentication,
      record.runner.scheme,
      record.runner.requestBound,
      record.runner.identity.repository,
    ]).toEqual(['runner', 'cavra.runner-auth.v1', false, 'acme/app']);
    expect(answer.evidence_refs.at(-1)).toBe(record.decision.evidence_refs.at(-1));
  });

  it('refuses the same upstream signature for a key not marked with that scheme, as upstream refuses a bad one', async () => {
    const { daemon } = await ours(
      {
        runner_auth: { required: true, hmac: { keys: [{ key_id: 'upstream-runners', secret_env: 'KEY' }] } },
      },
      { KEY: SECRET },
    );
    const runnerAuth = {
      identity: IDENTITY,
      algorithm: 'HMAC-SHA256',
      key_id: 'upstream-runners',
      signature: upstreamSignature(IDENTITY, SECRET),
    };
    const answer = await upstreamStyleClient(
      daemon.socketPath,
      { ...READ_README, runner_auth: runnerAuth },
      'half-close',
    );
    expect([answer.decision, answer.rule_id, answer.severity]).toEqual([
      'block',
      'runner_auth.invalid',
      'critical',
    ]);
    expect(answer.reason).toMatch(
      /^runner authentication failed: scheme_not_enabled: signature is in the identity-only scheme/,
    );
  });
});

describe('the upstream HMAC form', () => {
  it("our signer's identity-only signature equals the independent computation", () => {
    const signed = signRunnerIdentity(READ_README, {
      keyId: 'upstream-runners',
      secret: SECRET,
      identity: IDENTITY,
    });
    expect(signed.runner_auth?.signature).toBe(upstreamSignature(IDENTITY, SECRET));
    const sparse = { provider: 'gitlab-ci', repository: 'group/project' };
    expect(
      signRunnerIdentity(READ_README, { keyId: '', secret: SECRET, identity: sparse }).runner_auth?.signature,
    ).toBe(upstreamSignature(sparse, SECRET));
  });

  it('our request-bound signature names its scheme, so a daemon never has to guess which one it holds', () => {
    const signed = signRunnerClaims(READ_README, { keyId: 'k', secret: SECRET, identity: IDENTITY });
    expect(signed.runner_auth?.signature).toMatch(/^CAVRA-RUNNER-HMAC-V1:[A-Za-z0-9_-]{43}$/);
  });
});

describe('our client -> our daemon, upstream protocol', () => {
  it('works too: our daemon answers the bare form', async () => {
    const { daemon } = await ours();
    const client = createClient({ socketPath: daemon.socketPath, protocol: 'upstream' });
    expect((await client.evaluate(READ_ENV)).rule_id).toBe('filesystem.read.block');
    await client.close();
  });
});
