import { fileURLToPath } from 'node:url';

/**
 * Conformance with upstream CAVRA's decision table (`../shared/spec/upstream-compat.md`, "Decisions"): requests as
 * upstream clients send them (snake_case JSON, `git_operation`, MCP `server`/`tool`/`capability`), against the
 * built-in baseline and the upstream-format packs in `test/fixtures/upstream-format/`, with the decision, rule id,
 * severity and approver group upstream decides. Importable so the daemon can run the same cases over its socket.
 */

/** Folder of the upstream-format packs (`<id>/policy.yaml`) and `acme-compiled.json`. */
export const UPSTREAM_FORMAT_DIR = fileURLToPath(new URL('../fixtures/upstream-format/', import.meta.url));
/** The upstream-format pack files the cases use besides the built-in baseline. */
export const UPSTREAM_FORMAT_PACKS = [
  'acme-delivery/policy.yaml',
  'acme-platform/policy.yaml',
  'acme-mcp-open/policy.yaml',
  'acme-attested/policy.yaml',
  'acme-compiled.json',
].map((file) => `${UPSTREAM_FORMAT_DIR}${file}`);
/** The MCP trust registry of the `registry` cases. */
export const UPSTREAM_FORMAT_REGISTRY = `${UPSTREAM_FORMAT_DIR}acme-mcp-registry.json`;

/** What upstream answers, in its wire names. */
export interface UpstreamOutcome {
  readonly decision: string;
  readonly rule_id: string;
  readonly severity: string;
  readonly approver_group: string;
}

export interface ConformanceCase {
  /** The row of the upstream decision table the case is an instance of. */
  readonly row: string;
  readonly name: string;
  /** The EvaluateRequest JSON as an upstream client sends it. */
  readonly request: Readonly<Record<string, string>>;
  /** Decide with the MCP trust registry UPSTREAM_FORMAT_REGISTRY. */
  readonly registry?: boolean;
  readonly expected: UpstreamOutcome;
}

const block = (rule_id: string, severity = 'high'): UpstreamOutcome => ({
  decision: 'block',
  rule_id,
  severity,
  approver_group: '',
});
const allow = (rule_id: string): UpstreamOutcome => ({
  decision: 'allow',
  rule_id,
  severity: 'low',
  approver_group: '',
});
const approval = (rule_id: string, approver_group: string, severity = 'medium'): UpstreamOutcome => ({
  decision: 'require_approval',
  rule_id,
  severity,
  approver_group,
});

const BASELINE = 'cavra-ai-agent-baseline';
const read = (target: string, policy_pack = BASELINE) => ({ action_type: 'read_file', target, policy_pack });
const write = (target: string, policy_pack = BASELINE) => ({
  action_type: 'write_file',
  target,
  policy_pack,
});
const run = (target: string, policy_pack = BASELINE) => ({
  action_type: 'execute_command',
  target,
  policy_pack,
});
const git = (operation: string, target: string, policy_pack = BASELINE) => ({
  action_type: 'git_operation',
  operation,
  target,
  policy_pack,
});
const mcp = (server: string, tool: string, capability: string, policy_pack = 'acme-delivery') => ({
  action_type: 'mcp_tool_call',
  server,
  tool,
  capability,
  policy_pack,
});

/** One case per row of the upstream decision table, and per branch of its MCP registry rules. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    row: 'read path on the block list',
    name: 'reading a kubeconfig under the baseline',
    request: read('deploy/staging/kubeconfig'),
    expected: block('filesystem.read.block'),
  },
  {
    row: 'read path on the block list',
    name: 'reading a root .env with an empty pack name (the baseline)',
    request: { action_type: 'read_file', target: '.env' },
    expected: block('filesystem.read.block'),
  },
  {
    row: 'read path on the block list',
    name: 'reading a customer export under an inheriting pack',
    request: read('data/customer-exports/2026-11.csv', 'acme-delivery'),
    expected: block('filesystem.read.block'),
  },
  {
    row: 'read path on the block list',
    name: 'reading a KeePass file under the compiled policy',
    request: read('team/passwords.kdbx', 'acme-compiled'),
    expected: block('filesystem.read.block'),
  },
  {
    row: 'write path on the block list',
    name: 'writing a workflow under the baseline',
    request: write('.github/workflows/deploy.yml'),
    expected: block('filesystem.write.block'),
  },
  {
    row: 'write path on the block list',
    name: 'writing a Terraform backend under the baseline',
    request: write('infra/prod/backend.tf'),
    expected: block('filesystem.write.block'),
  },
  {
    row: 'write path on require_approval_write',
    name: 'writing under policies/ in the baseline',
    request: write('policies/payments.yaml'),
    expected: approval('filesystem.write.require_approval', 'Platform Security', 'high'),
  },
  {
    row: 'write path on require_approval_write',
    name: 'writing chart values under an inheriting pack',
    request: write('ops/charts/web-values-prod.yaml', 'acme-delivery'),
    expected: approval('filesystem.write.require_approval', 'Platform Security', 'high'),
  },
  {
    row: 'write path on require_approval_write',
    name: 'writing a migration under the compiled policy',
    request: write('db/migrations/0042_add_index.sql', 'acme-compiled'),
    expected: approval('filesystem.write.require_approval', 'Platform Security', 'high'),
  },
  {
    row: 'other read',
    name: 'reading source code',
    request: read('src/server/routes.ts'),
    expected: allow('filesystem.read.allow'),
  },
  {
    row: 'other write',
    name: 'writing source code',
    request: write('src/server/routes.ts'),
    expected: allow('filesystem.write.allow'),
  },
  {
    row: 'command on the block list (apply or delete: critical)',
    name: 'terraform apply with auto-approve',
    request: run('terraform apply -auto-approve'),
    expected: block('commands.block', 'critical'),
  },
  {
    row: 'command on the block list (apply or delete: critical)',
    name: 'deleting a namespace',
    request: run('kubectl delete namespace staging'),
    expected: block('commands.block', 'critical'),
  },
  {
    row: 'command on the block list (otherwise high)',
    name: 'creating an access key',
    request: run('aws iam create-access-key --user-name ci-bot'),
    expected: block('commands.block', 'high'),
  },
  {
    row: 'command on the block list (otherwise high)',
    name: 'pushing to main from the shell',
    request: run('git push origin main'),
    expected: block('commands.block', 'high'),
  },
  {
    row: 'command on the block list (otherwise high)',
    name: 'a pattern with stars inside, under an inheriting pack',
    request: run('psql -h db.internal --command "DROP TABLE audit"', 'acme-delivery'),
    expected: block('commands.block', 'high'),
  },
  {
    row: 'command on the block list (otherwise high)',
    name: 'flushing redis under the compiled policy',
    request: run('redis-cli flushall async', 'acme-compiled'),
    expected: block('commands.block', 'high'),
  },
  {
    row: 'command on the allow list',
    name: 'terraform plan',
    request: run('terraform plan'),
    expected: allow('commands.allow'),
  },
  {
    row: 'command on the allow list',
    name: 'terraform validate with options',
    request: run('terraform validate -json'),
    expected: allow('commands.allow'),
  },
  {
    row: 'command on the allow list',
    name: 'go test under an inheriting pack',
    request: run('go test ./internal/...', 'acme-delivery'),
    expected: allow('commands.allow'),
  },
  {
    row: 'command on the allow list',
    name: 'cargo check under the compiled policy',
    request: run('cargo check --workspace', 'acme-compiled'),
    expected: allow('commands.allow'),
  },
  {
    row: 'other command',
    name: 'a command on no list',
    request: run('rm -rf /tmp/important'),
    expected: approval('commands.default.require_approval', 'Repository Owners'),
  },
  {
    row: 'other command',
    name: 'a command on our approval list and on no upstream list',
    request: run('helm upgrade web charts/web', 'acme-delivery'),
    expected: approval('commands.default.require_approval', 'Repository Owners'),
  },
  {
    row: 'git_operation push to a protected branch',
    name: 'pushing to origin/main',
    request: git('push', 'origin/main'),
    expected: block('git.protected_branch.block_direct_push'),
  },
  {
    row: 'git_operation push to a protected branch',
    name: 'pushing to master with the legacy operation only',
    request: { action_type: 'git_operation', operation: 'push', target: 'upstream/master' },
    expected: block('git.protected_branch.block_direct_push'),
  },
  {
    row: 'git_operation push to a protected branch',
    name: 'pushing to main under a pack without git rules',
    request: git('push', 'origin/main', 'acme-platform'),
    expected: block('git.protected_branch.block_direct_push'),
  },
  {
    row: 'other git_operation',
    name: 'pushing a feature branch',
    request: git('push', 'origin/feature/login-form'),
    expected: allow('git.allow'),
  },
  {
    row: 'other git_operation',
    name: 'fetching',
    request: git('fetch', 'origin'),
    expected: allow('git.allow'),
  },
  {
    row: 'MCP server blocked, or unknown while unknown servers are blocked',
    name: 'a server on the pack block list',
    request: mcp('paste-bin-mcp', 'create_paste', 'network'),
    expected: block('mcp.server.trust.block_unknown'),
  },
  {
    row: 'MCP server blocked, or unknown while unknown servers are blocked',
    name: 'a server on no list',
    request: mcp('random-notes', 'read', 'filesystem'),
    expected: block('mcp.server.trust.block_unknown'),
  },
  {
    row: 'MCP server blocked, or unknown while unknown servers are blocked',
    name: 'any server under the baseline (no allowed servers, unknown blocked by default)',
    request: mcp('github', 'create_issue', 'repository', BASELINE),
    expected: block('mcp.server.trust.block_unknown'),
  },
  {
    row: 'MCP server blocked, or unknown while unknown servers are blocked',
    name: 'a blocked server where unknown servers are allowed',
    request: mcp('paste-bin-mcp', 'create_paste', '', 'acme-mcp-open'),
    expected: block('mcp.server.trust.block_unknown'),
  },
  {
    row: 'MCP server trusted',
    name: 'a server on the allow list',
    request: mcp('acme-wiki', 'search', 'docs'),
    expected: allow('mcp.server.trust.allow'),
  },
  {
    row: 'MCP server trusted',
    name: 'a server on no list where unknown servers are allowed',
    request: mcp('random-notes', 'read', '', 'acme-mcp-open'),
    expected: allow('mcp.server.trust.allow'),
  },
  {
    row: 'MCP server trusted',
    name: 'a server on the compiled policy allow list',
    request: mcp('acme-wiki', 'page', '', 'acme-compiled'),
    expected: allow('mcp.server.trust.allow'),
  },
  {
    row: 'unknown action_type',
    name: 'an action type no runtime knows',
    request: { action_type: 'open_browser', target: 'https://example.com', policy_pack: BASELINE },
    expected: approval('runtime.default.require_approval', 'Repository Owners'),
  },
  {
    row: 'registry: unregistered server',
    name: 'a server the registry does not list',
    request: mcp('random-notes', 'read', 'filesystem'),
    registry: true,
    expected: block('mcp.registry.unknown'),
  },
  {
    row: 'registry: trust tier blocked',
    name: 'a server whose tier is blocked',
    request: mcp('screen-share', 'capture', ''),
    registry: true,
    expected: block('mcp.registry.blocked'),
  },
  {
    row: 'registry: approval denied',
    name: 'a server whose approval was denied',
    request: mcp('old-crm', 'export', ''),
    registry: true,
    expected: block('mcp.registry.blocked'),
  },
  {
    row: 'registry: approval pending',
    name: 'a server awaiting approval',
    request: mcp('build-cache', 'get', ''),
    registry: true,
    expected: approval('mcp.registry.requires_approval', 'AI Governance'),
  },
  {
    row: 'registry: trust tier experimental',
    name: 'an experimental server',
    request: mcp('notebook-beta', 'run_cell', 'notebooks'),
    registry: true,
    expected: approval('mcp.registry.requires_approval', 'AI Governance'),
  },
  {
    row: 'registry: trust tier unknown',
    name: 'a server of unknown trust',
    request: mcp('vendor-search', 'query', ''),
    registry: true,
    expected: approval('mcp.registry.requires_approval', 'AI Governance'),
  },
  {
    row: 'registry: tool outside allowed_tools',
    name: 'a tool the server is not approved for',
    request: mcp('acme-tickets', 'delete_project', 'tickets'),
    registry: true,
    expected: approval('mcp.registry.tool_scope', 'AI Governance'),
  },
  {
    row: 'registry: capability outside capabilities',
    name: 'a capability the server is not approved for',
    request: mcp('acme-tickets', 'search_tickets', 'filesystem'),
    registry: true,
    expected: approval('mcp.registry.capability_scope', 'AI Governance'),
  },
  {
    row: 'registry: approved',
    name: 'an approved tool, found by the server name',
    request: mcp('Acme Tickets', 'create_ticket', 'tickets'),
    registry: true,
    expected: allow('mcp.registry.allow'),
  },
  {
    row: 'registry: approved',
    name: 'an approved server with no tool or capability scope',
    request: mcp('acme-wiki', 'anything', 'whatever'),
    registry: true,
    expected: allow('mcp.registry.allow'),
  },
];

/** A case where we decide deliberately more strictly than upstream (the README's deliberate differences). */
export interface DifferenceCase {
  readonly name: string;
  readonly why: string;
  readonly request: Readonly<Record<string, string>>;
  readonly registry?: boolean;
  /** What upstream decides. */
  readonly upstream: UpstreamOutcome;
  /** What we decide. */
  readonly ours: UpstreamOutcome;
}

export const DIFFERENCE_CASES: readonly DifferenceCase[] = [
  {
    name: 'an allow pattern never covers a second command',
    why: 'compound commands are split and every part must be allowed',
    request: run('terraform plan; rm -rf /'),
    upstream: allow('commands.allow'),
    ours: block('commands.block'),
  },
  {
    name: 'a blocked command after an allowed one',
    why: 'compound commands are split and every part is matched against the block list',
    request: run('terraform plan && sudo reboot'),
    upstream: allow('commands.allow'),
    ours: block('commands.block'),
  },
  {
    name: 'a wrapper in front of a blocked command',
    why: 'wrappers (env, nohup, exec, …) are looked through',
    request: run('env TF_LOG=1 terraform apply'),
    upstream: approval('commands.default.require_approval', 'Repository Owners'),
    ours: block('commands.block', 'critical'),
  },
  {
    name: 'whitespace inside a blocked command',
    why: 'commands are compared with whitespace runs collapsed',
    request: run('terraform  apply'),
    upstream: approval('commands.default.require_approval', 'Repository Owners'),
    ours: block('commands.block', 'critical'),
  },
  {
    name: 'an allowed command naming a blocked file',
    why: 'arguments are read as paths and meet filesystem.block_read',
    request: run('pytest --kubeconfig deploy/kubeconfig'),
    upstream: allow('commands.allow'),
    ours: block('filesystem.read.block'),
  },
  {
    name: 'command substitution in an allowed command',
    why: 'substitution runs commands the patterns cannot see',
    request: run('pytest $(cat tests.txt)'),
    upstream: allow('commands.allow'),
    ours: approval('commands.default.require_approval', 'Repository Owners'),
  },
  {
    name: 'an npm test option that changes what runs',
    why: 'our baseline allows `npm test` and `npm test -- …` only, not every `npm test*`',
    request: run('npm test --script-shell=/tmp/x.sh'),
    upstream: allow('commands.allow'),
    ours: approval('commands.default.require_approval', 'Repository Owners'),
  },
  {
    name: 'a path that walks back to a blocked file',
    why: 'paths are normalised before matching',
    request: read('config/../.env'),
    upstream: allow('filesystem.read.allow'),
    ours: block('filesystem.read.block'),
  },
  {
    name: 'a blocked file in another case',
    why: 'filesystem patterns ignore case',
    request: read('.ENV'),
    upstream: allow('filesystem.read.allow'),
    ours: block('filesystem.read.block'),
  },
  {
    name: 'a secrets file at the root',
    why: 'glob patterns match at any depth (`**/secrets.*` matches `secrets.yaml`)',
    request: read('secrets.yaml'),
    upstream: allow('filesystem.read.allow'),
    ours: block('filesystem.read.block'),
  },
  {
    name: 'a write our baseline gates',
    why: 'our baseline gates files that decide what an allowed runner runs',
    request: write('package.json'),
    upstream: allow('filesystem.write.allow'),
    ours: approval('filesystem.write.require_approval', 'Platform Security', 'high'),
  },
  {
    name: 'a push to a release branch',
    why: "the pack's block_push_branches protect more than main and master",
    request: git('push', 'origin/release/2.0'),
    upstream: allow('git.allow'),
    ours: block('git.protected_branch.block_direct_push'),
  },
  {
    name: 'a push under a pack that requires AI attestation',
    why: 'git.require_ai_attestation is enforced',
    request: git('push', 'origin/feature/x', 'acme-attested'),
    upstream: allow('git.allow'),
    ours: {
      decision: 'allow_with_attestation',
      rule_id: 'git.require_ai_attestation',
      severity: 'low',
      approver_group: '',
    },
  },
  {
    name: 'a registry-approved server on the pack block list',
    why: "with a registry, the pack's blocked_servers still block",
    request: mcp('paste-bin-mcp', 'create_paste', ''),
    registry: true,
    upstream: allow('mcp.registry.allow'),
    ours: block('mcp.server.trust.block_unknown'),
  },
  {
    name: 'a registry state in another case',
    why: 'registry states are compared trimmed and lower-cased',
    request: mcp('shouty-tier', 'read', ''),
    registry: true,
    upstream: allow('mcp.registry.allow'),
    ours: block('mcp.registry.blocked'),
  },
  {
    name: 'an MCP target that names another server than the server key',
    why: 'a request whose target and keys disagree is refused',
    request: { ...mcp('acme-wiki', 'search', ''), target: 'paste-bin-mcp:create_paste' },
    upstream: allow('mcp.server.trust.allow'),
    ours: block('request.invalid_target'),
  },
  {
    name: 'a git operation without a target',
    why: 'a policy-pack action that names no target is refused',
    request: git('fetch', ''),
    upstream: allow('git.allow'),
    ours: block('request.missing_target'),
  },
];

/** Strictness order of the upstream spec: a deliberate difference must rank higher on ours. */
export const STRICTNESS = [
  'allow',
  'audit_only',
  'allow_with_attestation',
  'warn',
  'require_approval',
  'block',
];
