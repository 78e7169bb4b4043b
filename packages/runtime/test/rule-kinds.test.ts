import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { compilePolicyPack, loadPolicyPackFile, parsePolicyPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

// Every rule kind the baseline leaves out: overlapping lists, pushes without require_pull_request, attestation,
// MCP servers on no list allowed, and a pack-specific approver group.
const KINDS_PACK = `
metadata: {id: kinds, version: "3", approver_group: platform-team}
filesystem:
  block_read: ["vault/**"]
  block_write: ["infra/prod/**"]
  require_approval_write: ["infra/**"]
commands:
  allow: ["make *", "make test"]
  block: ["make deploy *"]
  require_approval: ["make deploy *", "make release *"]
git:
  block_push_branches: [main, "hotfix/*"]
  require_pull_request: false
  require_ai_attestation: true
mcp:
  allowlist_enabled: false
  block_unknown_servers: false
  allowed_servers: [github]
  blocked_servers: [shell]
`;

const pack = compilePolicyPack(parsePolicyPack(KINDS_PACK));

// [action type, target, decision, rule id, severity, approver group, reason]
const CASES: readonly (readonly [string, string, string, string, string, string, string])[] = [
  [
    'read_file',
    'vault/a.txt',
    'block',
    'filesystem.read.block',
    'high',
    '',
    "reading 'vault/a.txt' is blocked by pattern 'vault/**' (filesystem.block_read[0])",
  ],
  [
    'read_file',
    'vaults/a.txt',
    'allow',
    'filesystem.read.allow',
    'low',
    '',
    "no filesystem rule blocks reading 'vaults/a.txt'",
  ],
  [
    'write_file',
    'infra/prod/db.tf',
    'block',
    'filesystem.write.block',
    'high',
    '',
    "writing 'infra/prod/db.tf' is blocked by pattern 'infra/prod/**' (filesystem.block_write[0])",
  ],
  [
    'write_file',
    'infra/dev/db.tf',
    'require_approval',
    'filesystem.write.require_approval',
    'high',
    'platform-team',
    "writing 'infra/dev/db.tf' requires approval (pattern 'infra/**', filesystem.require_approval_write[0])",
  ],
  [
    'execute_command',
    'make deploy prod',
    'block',
    'commands.block',
    'high',
    '',
    "command 'make deploy prod' is blocked by pattern 'make deploy *' (commands.block[0])",
  ],
  [
    'execute_command',
    'make release 1.2',
    'require_approval',
    'commands.default.require_approval',
    'medium',
    'platform-team',
    "command 'make release 1.2' requires approval (pattern 'make release *', commands.require_approval[1])",
  ],
  [
    'execute_command',
    'make test',
    'allow',
    'commands.allow',
    'low',
    '',
    "command allowed by pattern 'make *' (commands.allow[0])",
  ],
  [
    'execute_command',
    'make',
    'require_approval',
    'commands.default.require_approval',
    'medium',
    'platform-team',
    "command 'make' is not on the allow list",
  ],
  [
    'execute_command',
    'makefoo',
    'require_approval',
    'commands.default.require_approval',
    'medium',
    'platform-team',
    "command 'makefoo' is not on the allow list",
  ],
  [
    'git_push',
    'main',
    'block',
    'git.protected_branch.block_direct_push',
    'high',
    '',
    "pushing to 'main' is blocked by pattern 'main' (git.block_push_branches[0])",
  ],
  [
    'git_push',
    'refs/heads/hotfix/x',
    'block',
    'git.protected_branch.block_direct_push',
    'high',
    '',
    "pushing to 'hotfix/x' is blocked by pattern 'hotfix/*' (git.block_push_branches[1])",
  ],
  [
    'git_push',
    'feature/y',
    'allow_with_attestation',
    'git.require_ai_attestation',
    'low',
    '',
    "push to 'feature/y' is allowed with an AI attestation on its commits",
  ],
  [
    'mcp_tool_call',
    'shell/run',
    'block',
    'mcp.server.trust.block_unknown',
    'high',
    '',
    "MCP server 'shell' is blocked (mcp.blocked_servers[0])",
  ],
  [
    'mcp_tool_call',
    'github',
    'allow',
    'mcp.server.trust.allow',
    'low',
    '',
    "MCP server 'github' is on the allow list (mcp.allowed_servers[0])",
  ],
  [
    'mcp_tool_call',
    'slack/post',
    'allow',
    'mcp.server.trust.allow',
    'low',
    '',
    "no MCP rule restricts server 'slack'",
  ],
  [
    'mcp_tool_call',
    '  ',
    'block',
    'request.missing_target',
    'high',
    '',
    'mcp_tool_call request names no target',
  ],
  ['git_push', '', 'block', 'request.missing_target', 'high', '', 'git_push request names no target'],
  [
    'read_file',
    '/srv/app/vault/a.txt',
    'block',
    'filesystem.read.block',
    'high',
    '',
    "reading '/srv/app/vault/a.txt' is blocked by pattern 'vault/**' (filesystem.block_read[0])",
  ],
  [
    'read_file',
    'Vault/A.TXT',
    'block',
    'filesystem.read.block',
    'high',
    '',
    "reading 'Vault/A.TXT' is blocked by pattern 'vault/**' (filesystem.block_read[0])",
  ],
  [
    'write_file',
    'D:\\work\\infra\\prod\\db.tf',
    'block',
    'filesystem.write.block',
    'high',
    '',
    "writing 'D:/work/infra/prod/db.tf' is blocked by pattern 'infra/prod/**' (filesystem.block_write[0])",
  ],
  [
    'git_push',
    'HotFix/x',
    'allow_with_attestation',
    'git.require_ai_attestation',
    'low',
    '',
    "push to 'HotFix/x' is allowed with an AI attestation on its commits",
  ],
  [
    'execute_command',
    'make deploy vault/x',
    'block',
    'commands.block',
    'high',
    '',
    "command 'make deploy vault/x' is blocked by pattern 'make deploy *' (commands.block[0])",
  ],
  [
    'execute_command',
    'make release 1.2 KEY_FILE=vault/release.key',
    'block',
    'filesystem.read.block',
    'high',
    '',
    "command 'make release 1.2 KEY_FILE=vault/release.key' names 'vault/release.key', which is blocked for reading by pattern 'vault/**' (filesystem.block_read[0])",
  ],
  [
    'execute_command',
    'make test | tee -a /srv/app/vault/log',
    'block',
    'filesystem.read.block',
    'high',
    '',
    "command 'tee -a /srv/app/vault/log' names '/srv/app/vault/log', which is blocked for reading by pattern 'vault/**' (filesystem.block_read[0])",
  ],
];

describe('every rule kind', () => {
  const engine = exactEngine([pack]);

  it.each(CASES)(
    '%s %j -> %s by %s',
    (actionType, target, decision, ruleId, severity, approverGroup, reason) => {
      const result = engine.evaluate(request(actionType, target, { policy_pack: 'kinds' }));
      expect({
        decision: result.decision,
        ruleId: result.ruleId,
        severity: result.severity,
        approverGroup: result.approverGroup,
        reason: result.reason,
      }).toEqual({ decision, ruleId, severity, approverGroup, reason });
    },
  );

  it('asks the pack approver group in strict mode when the rule named none', () => {
    const strict = exactEngine([pack], { mode: { mode: 'strict' } });
    expect(strict.evaluate(request('read_file', 'README.md', { policy_pack: 'kinds' }))).toMatchObject({
      decision: 'require_approval',
      ruleId: 'filesystem.read.allow',
      severity: 'medium',
      approverGroup: 'platform-team',
    });
  });

  it('loads the same pack written as JSON to the same digest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-packs-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'kinds.json'), JSON.stringify(parse(KINDS_PACK)));
    expect((await loadPolicyPackFile(join(dir, 'kinds.json'))).digest).toBe(pack.digest);
    await writeFile(join(dir, 'broken.json'), '{"metadata": {"id": "x", "version": "1"},}');
    await expect(loadPolicyPackFile(join(dir, 'broken.json'))).rejects.toMatchObject({
      code: 'invalid_pack',
      issues: [
        {
          path: '',
          message: expect.stringMatching(/^Expected double-quoted property name in JSON at position 41/),
        },
      ],
    });
  });
});
