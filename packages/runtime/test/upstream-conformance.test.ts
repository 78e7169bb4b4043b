import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toRuntimeRequest } from '@cavra/contracts';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type CompiledPolicyPack,
  createEngine,
  type Engine,
  loadBaselinePack,
  loadMcpTrustRegistryFile,
  loadPolicyPackFile,
  McpRegistryError,
  PolicyPackError,
  parseMcpTrustRegistry,
} from '../src/index.js';
import {
  CONFORMANCE_CASES,
  DIFFERENCE_CASES,
  STRICTNESS,
  UPSTREAM_FORMAT_DIR,
  UPSTREAM_FORMAT_PACKS,
  UPSTREAM_FORMAT_REGISTRY,
} from './support/upstream-conformance-cases.js';

let packs: CompiledPolicyPack[];
let engine: Engine;
let registryEngine: Engine;
beforeAll(async () => {
  packs = [
    await loadBaselinePack(),
    ...(await Promise.all(UPSTREAM_FORMAT_PACKS.map((path) => loadPolicyPackFile(path)))),
  ];
  engine = createEngine({ packs });
  registryEngine = createEngine({
    packs,
    mcpRegistry: await loadMcpTrustRegistryFile(UPSTREAM_FORMAT_REGISTRY),
  });
});

function decide(request: Readonly<Record<string, unknown>>, registry = false) {
  // Strict contract: upstream's extra keys (operation, server, tool, capability) are known keys.
  return (registry ? registryEngine : engine).evaluate(toRuntimeRequest(request, { strict: true }));
}

const outcome = (decision: ReturnType<typeof decide>) => ({
  decision: decision.decision,
  rule_id: decision.ruleId,
  severity: decision.severity,
  approver_group: decision.approverGroup,
});

// The rows of the upstream decision table (upstream-compat.md, "Decisions"), and its MCP registry branches.
const TABLE_ROWS = [
  'read path on the block list',
  'write path on the block list',
  'write path on require_approval_write',
  'other read',
  'other write',
  'command on the block list (apply or delete: critical)',
  'command on the block list (otherwise high)',
  'command on the allow list',
  'other command',
  'git_operation push to a protected branch',
  'other git_operation',
  'MCP server blocked, or unknown while unknown servers are blocked',
  'MCP server trusted',
  'unknown action_type',
  'registry: unregistered server',
  'registry: trust tier blocked',
  'registry: approval denied',
  'registry: approval pending',
  'registry: trust tier experimental',
  'registry: trust tier unknown',
  'registry: tool outside allowed_tools',
  'registry: capability outside capabilities',
  'registry: approved',
];

describe('upstream conformance: the decision table', () => {
  it('has a case for every row, and no case outside the table', () => {
    expect([...new Set(CONFORMANCE_CASES.map((c) => c.row))].sort()).toEqual([...TABLE_ROWS].sort());
  });

  it.each(CONFORMANCE_CASES.map((c) => [c.row, c.name, c] as const))('%s: %s', (_row, _name, c) => {
    const decision = decide(c.request, c.registry);
    expect(outcome(decision)).toEqual(c.expected);
    const pack = c.request.policy_pack || 'cavra-ai-agent-baseline';
    expect([decision.policyPack, decision.policyId]).toEqual([pack, pack]);
    expect(decision.decisionId).toMatch(/^dec_[0-9a-f]{12}$/);
    expect(decision.correlationId).toMatch(/^corr_[0-9a-f]{12}$/);
    expect(decision.evidenceRefs[0]).toBe(
      `evidence://${c.request.session_id || 'local'}/${decision.decisionId}`,
    );
  });

  it('echoes an MCP call given by keys with the decided target server:tool and fills request defaults', () => {
    const decision = decide({
      action_type: 'mcp_tool_call',
      server: 'acme-wiki',
      tool: 'search',
      capability: 'docs',
      policy_pack: 'acme-delivery',
    });
    expect(decision).toMatchObject({
      sessionId: 'local',
      agentId: 'unknown-agent',
      actor: 'ai-agent',
      target: 'acme-wiki:search',
      operation: 'docs',
    });
    expect(decide({ action_type: 'mcp_tool_call', server: 'acme-wiki', tool: 'search' }).operation).toBe(
      'search',
    );
  });

  it('echoes a release-governance record without a target or operation with its kind and verify, as upstream', () => {
    const kind = { metadata_kind: 'rollout-promotion-execution' };
    expect(decide({ action_type: 'release_governance_record', release_governance: kind })).toMatchObject({
      target: 'rollout-promotion-execution',
      operation: 'verify',
    });
    expect(decide({ action_type: 'release_governance_record' })).toMatchObject({
      target: 'release-governance-record',
      operation: 'verify',
    });
    const named = decide({
      action_type: 'release_governance_record',
      target: 'release-connectors',
      requested_operation: 'deliver',
      release_governance: kind,
    });
    expect([named.target, named.operation]).toEqual(['release-connectors', 'deliver']);
  });

  it('judges a push by the legacy operation too, which upstream reads first (lenient contract)', () => {
    const request = toRuntimeRequest({
      action_type: 'git_operation',
      target: 'origin/main',
      operation: 'push',
      requested_operation: 'fetch',
    });
    expect(outcome(engine.evaluate(request))).toEqual({
      decision: 'block',
      rule_id: 'git.protected_branch.block_direct_push',
      severity: 'high',
      approver_group: '',
    });
  });

  it('still decides our own git_push and server/tool targets', () => {
    expect(outcome(decide({ action_type: 'git_push', target: 'refs/heads/main' }))).toEqual({
      decision: 'block',
      rule_id: 'git.protected_branch.block_direct_push',
      severity: 'high',
      approver_group: '',
    });
    expect(
      outcome(
        decide({ action_type: 'mcp_tool_call', target: 'acme-wiki/search', policy_pack: 'acme-delivery' }),
      ),
    ).toEqual({ decision: 'allow', rule_id: 'mcp.server.trust.allow', severity: 'low', approver_group: '' });
  });
});

describe('upstream conformance: deliberate differences', () => {
  it.each(DIFFERENCE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ours = outcome(decide(c.request, c.registry));
    expect(ours).toEqual(c.ours);
    // Never looser: our decision ranks at least as strict as upstream's, and strictly more.
    expect(STRICTNESS.indexOf(ours.decision)).toBeGreaterThan(STRICTNESS.indexOf(c.upstream.decision));
  });
});

describe('upstream-format packs', () => {
  const byId = (id: string) => packs.find((pack) => pack.id === id) as CompiledPolicyPack;

  it('load, and report every key they hold that is accepted but not enforced', () => {
    expect(byId('acme-delivery').notices.map((notice) => notice.path)).toEqual([
      '/metadata/title',
      '/metadata/mode',
      '/git/block_direct_push_to_protected_branch',
      '/git/require_human_reviewer',
      '/git/require_pr_attestation',
      '/mcp/risk_scoring',
      '/approvals',
      '/evidence',
      '/compliance',
    ]);
    expect(byId('acme-delivery').notices[1]).toEqual({
      path: '/metadata/mode',
      message: "accepted, not enforced: the engine's runtime mode decides",
    });
    expect(byId('acme-compiled').notices.map((notice) => notice.path)).toEqual(['/metadata/title']);
  });

  it("inherit upstream-style: every list of every parent joins the pack's own, allows included, each added allow listed", async () => {
    const delivery = byId('acme-delivery').resolved;
    const baseline = (await loadBaselinePack()).resolved;
    expect(delivery.metadata.inherits).toEqual(['cavra-ai-agent-baseline', 'acme-platform']);
    expect(delivery.filesystem.block_read).toContain('**/kubeconfig');
    expect(delivery.filesystem.block_read).toContain('**/vault-token');
    expect(delivery.commands.block).toContain('vault kv delete*');
    // As upstream's loader merges lists: parents in order, then the pack's own.
    expect(delivery.commands.allow).toEqual([
      ...baseline.commands.allow,
      'vault status',
      'helm lint*',
      'helm template*',
      'go test*',
      'make check',
    ]);
    expect(delivery.mcp.allowed_servers).toEqual(['acme-tickets', 'acme-wiki']);
    expect(delivery.metadata.loosens).toEqual([
      "commands.allow: 'vault status' is not allowed by parent cavra-ai-agent-baseline",
      "commands.allow: 'helm lint*' is not allowed by parent cavra-ai-agent-baseline",
      "commands.allow: 'helm template*' is not allowed by parent cavra-ai-agent-baseline",
      "commands.allow: 'go test*' is not allowed by parent cavra-ai-agent-baseline",
      "commands.allow: 'make check' is not allowed by parent cavra-ai-agent-baseline",
      ...baseline.commands.allow.map(
        (pattern) => `commands.allow: '${pattern}' is not allowed by parent acme-platform`,
      ),
      "commands.allow: 'helm lint*' is not allowed by parent acme-platform",
      "commands.allow: 'helm template*' is not allowed by parent acme-platform",
      "commands.allow: 'go test*' is not allowed by parent acme-platform",
      "commands.allow: 'make check' is not allowed by parent acme-platform",
      "mcp.allowed_servers: 'acme-tickets' is not allowed by parent cavra-ai-agent-baseline",
      "mcp.allowed_servers: 'acme-wiki' is not allowed by parent cavra-ai-agent-baseline",
      "mcp.allowed_servers: 'acme-tickets' is not allowed by parent acme-platform",
      "mcp.allowed_servers: 'acme-wiki' is not allowed by parent acme-platform",
    ]);
    expect(delivery.git.require_pull_request).toBe(true);
    expect(outcome(decide(read('ops/vault-token')))).toMatchObject({
      decision: 'block',
      rule_id: 'filesystem.read.block',
    });
  });

  it('load the compiled policy JSON with upstream defaults (unknown servers blocked)', () => {
    const compiled = byId('acme-compiled').resolved;
    expect(compiled.mcp.block_unknown_servers).toBe(true);
    expect(compiled.commands.allow).toEqual(['cargo check*']);
  });

  it('still refuse a key no runtime knows, naming the file and the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-upstream-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'typo.yaml');
    await writeFile(
      path,
      'metadata: {id: typo, title: T, version: "1"}\nmcp: {block_unknown_server: false}\nevidence: {require_issue: true}\n',
    );
    const error = await loadPolicyPackFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyPackError);
    expect((error as PolicyPackError).message).toBe(
      `policy pack ${path}: invalid_pack: /mcp/block_unknown_server (line 2, column 7): is not a known key (known: allowlist_enabled, allowed_servers, blocked_servers, block_unknown_servers, risk_scoring); /evidence/require_issue (line 3, column 12): is not a known key (known: require_agent_manifest, require_issue_link, require_branch_pattern, require_bot_identity, require_pr_attestation, require_docs_update_for_user_facing_changes, required_fields)`,
    );
  });

  it('find parents in upstream layout and name a missing one in the list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-upstream-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'lonely.yaml'),
      'metadata: {id: lonely, version: "1", inherits: [acme-platform, nowhere]}\n',
    );
    await expect(
      loadPolicyPackFile(join(dir, 'lonely.yaml'), { searchDirs: [UPSTREAM_FORMAT_DIR] }),
    ).rejects.toMatchObject({
      code: 'unknown_parent',
      issues: [{ path: '/metadata/inherits/1', message: "no pack with id 'nowhere' is loaded" }],
    });
  });
});

describe('the MCP trust registry', () => {
  it('loads upstream format and finds servers by id or name', async () => {
    const registry = await loadMcpTrustRegistryFile(UPSTREAM_FORMAT_REGISTRY);
    expect(registry.servers).toHaveLength(9);
    expect(registry.find('Acme Tickets')?.server_id).toBe('acme-tickets');
    expect(registry.find('acme-tickets')?.allowed_tools).toEqual(['create_ticket', 'search_tickets']);
    expect(registry.find('nobody')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"mcp_servers": [', [{ path: '', message: expect.stringMatching(/JSON/) }]],
    ['no server list', '{}', [{ path: '', message: "must have required property 'mcp_servers'" }]],
    [
      'a misspelt scope key',
      '{"mcp_servers": [{"server_id": "a", "trust_tier": "approved", "allowed_tool": ["x"]}]}',
      [{ path: '/mcp_servers/0/allowed_tool', message: 'is not a known key' }],
    ],
    [
      'a record without trust tier and a tool that is not a string',
      '{"mcp_servers": [{"server_id": "a", "allowed_tools": [1]}]}',
      [
        { path: '/mcp_servers/0', message: "must have required property 'trust_tier'" },
        { path: '/mcp_servers/0/allowed_tools/0', message: 'must be string' },
      ],
    ],
    [
      'two records claiming one name',
      '{"mcp_servers": [{"server_id": "a", "trust_tier": "approved"}, {"server_id": "b", "name": "a", "trust_tier": "blocked"}]}',
      [{ path: '/mcp_servers/1/name', message: "'a' names two servers" }],
    ],
  ])('refuses %s, naming the path', (_what, text, issues) => {
    const error = (() => {
      try {
        parseMcpTrustRegistry(text, 'registry.json');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(McpRegistryError);
    expect((error as McpRegistryError).issues).toEqual(issues);
    expect((error as McpRegistryError).message).toMatch(/^MCP trust registry registry\.json: /);
  });

  it('names an unreadable file', async () => {
    await expect(loadMcpTrustRegistryFile(join(UPSTREAM_FORMAT_DIR, 'missing.json'))).rejects.toMatchObject({
      name: 'McpRegistryError',
      issues: [{ path: '', message: 'cannot read: no such file or directory (ENOENT)' }],
    });
  });
});

function read(target: string) {
  return { action_type: 'read_file', target, policy_pack: 'acme-delivery' };
}
