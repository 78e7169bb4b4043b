import { beforeAll, describe, expect, it } from 'vitest';
import { type CompiledPolicyPack, loadBaselinePack, type ModeSettings } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

let pack: CompiledPolicyPack;
beforeAll(async () => {
  pack = await loadBaselinePack();
});

const BLOCKED = request('read_file', '.env');
const GATED = request('write_file', 'infra/app.tf');
const ALLOWED = request('read_file', 'README.md');

// [mode, request, decision, rule id, reason, approver group]
const CASES: readonly (readonly [
  ModeSettings,
  ReturnType<typeof request>,
  string,
  string,
  string,
  string,
])[] = [
  [
    { mode: 'enforce' },
    BLOCKED,
    'block',
    'filesystem.read.block',
    "reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    '',
  ],
  [
    { mode: 'audit_only' },
    BLOCKED,
    'audit_only',
    'filesystem.read.block',
    "audit only, enforcement would block: reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    '',
  ],
  [
    { mode: 'audit_only' },
    GATED,
    'audit_only',
    'filesystem.write.require_approval',
    "audit only, enforcement would require_approval: writing 'infra/app.tf' requires approval (pattern '**/*.tf', filesystem.require_approval_write[26])",
    '',
  ],
  [
    { mode: 'audit_only' },
    ALLOWED,
    'allow',
    'filesystem.read.allow',
    "no filesystem rule blocks reading 'README.md'",
    '',
  ],
  [
    { mode: 'strict' },
    BLOCKED,
    'block',
    'filesystem.read.block',
    "reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    '',
  ],
  [
    { mode: 'strict' },
    GATED,
    'require_approval',
    'filesystem.write.require_approval',
    "writing 'infra/app.tf' requires approval (pattern '**/*.tf', filesystem.require_approval_write[26])",
    'Platform Security',
  ],
  [
    { mode: 'strict' },
    ALLOWED,
    'require_approval',
    'filesystem.read.allow',
    "strict mode requires approval for allow: no filesystem rule blocks reading 'README.md'",
    'Repository Owners',
  ],
  [
    { mode: 'break_glass' },
    ALLOWED,
    'block',
    'mode.break_glass.unjustified',
    'break glass needs a reason: the mode carries none',
    '',
  ],
  [
    { mode: 'break_glass', breakGlass: { reason: 'INC-4711 outage' } },
    BLOCKED,
    'allow_with_attestation',
    'mode.break_glass',
    'break glass (INC-4711 outage); policy would block by filesystem.read.block',
    '',
  ],
  [
    { mode: 'break_glass', breakGlass: { reason: 'INC-4711 outage' } },
    request('read_file', '.env', { actor: '' }),
    'block',
    'mode.break_glass.unjustified',
    'break glass needs an actor: the request names none',
    '',
  ],
  [
    { mode: 'break_glass', breakGlass: { reason: 'INC-4711', actors: ['oncall@example.com'] } },
    ALLOWED,
    'block',
    'mode.break_glass.unjustified',
    'actor is not allowed to break glass',
    '',
  ],
  [
    { mode: 'break_glass', breakGlass: { reason: 'INC-4711', actors: ['developer@example.com'] } },
    GATED,
    'allow_with_attestation',
    'mode.break_glass',
    'break glass (INC-4711); policy would require_approval by filesystem.write.require_approval',
    '',
  ],
];

describe('runtime policy modes', () => {
  it.each(CASES)('%j', (mode, input, decision, ruleId, reason, approverGroup) => {
    const result = exactEngine([pack], { mode }).evaluate(input);
    expect({
      decision: result.decision,
      ruleId: result.ruleId,
      reason: result.reason,
      approverGroup: result.approverGroup,
    }).toEqual({ decision, ruleId, reason, approverGroup });
  });

  it('turns an attested push into an approval in strict mode', async () => {
    const { compilePolicyPack, parsePolicyPack } = await import('../src/index.js');
    const attesting = compilePolicyPack(
      parsePolicyPack(
        'metadata: {id: attest, version: "1", inherits: cavra-ai-agent-baseline}\ngit: {require_ai_attestation: true}',
      ),
      { parents: new Map([[pack.id, pack]]) },
    );
    const push = request('git_push', 'feature/x', { policy_pack: 'attest' });
    expect(exactEngine([attesting]).evaluate(push)).toMatchObject({
      decision: 'allow_with_attestation',
      ruleId: 'git.require_ai_attestation',
      severity: 'low',
    });
    expect(exactEngine([attesting], { mode: { mode: 'strict' } }).evaluate(push)).toMatchObject({
      decision: 'require_approval',
      reason:
        "strict mode requires approval for allow_with_attestation: push to 'feature/x' is allowed with an AI attestation on its commits",
    });
  });

  it('refuses an unknown mode and an unsafe break-glass reason', () => {
    expect(() => exactEngine([pack], { mode: { mode: 'yolo' as 'enforce' } })).toThrow(
      "unknown runtime mode 'yolo' (known: audit_only, enforce, strict, break_glass)",
    );
    expect(() =>
      exactEngine([pack], { mode: { mode: 'break_glass', breakGlass: { reason: 'a\nb' } } }),
    ).toThrow('break-glass reason must be a single line of at most 200 characters');
  });
});
