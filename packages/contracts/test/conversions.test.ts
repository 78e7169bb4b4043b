import { describe, expect, it } from 'vitest';
import {
  ContractValidationError,
  DecisionResponseCodec,
  fromDecisionResponse,
  fromReleaseGovernanceRecord,
  parseRuntimeRequest,
  ReleaseGovernanceEvidenceCodec,
  type RuntimeDecision,
  toDecisionResponse,
  toReleaseGovernanceRecord,
  toRuntimeRequest,
} from '../src/index.js';

const request = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'execute_command',
  target: 'terraform plan',
  requested_operation: 'terraform plan',
  policy_pack: 'cavra-ai-agent-baseline',
  runner_auth: {
    algorithm: 'HMAC-SHA256',
    key_id: 'ci-runner-2026-q2',
    signature: 'deadbeef',
    identity: {
      provider: 'github-actions',
      repository: 'acme/app',
      workflow: 'Release Governance',
      run_id: '123456',
    },
  },
};

describe('request contract → runtime request', () => {
  it('maps every field to camelCase and never carries the signature', () => {
    const runtime = toRuntimeRequest(request);
    expect(runtime).toEqual({
      sessionId: 'session-1',
      agentId: 'codex-agent',
      actor: 'developer@example.com',
      actionType: 'execute_command',
      target: 'terraform plan',
      operation: 'terraform plan',
      policyPack: 'cavra-ai-agent-baseline',
      runner: {
        algorithm: 'HMAC-SHA256',
        keyId: 'ci-runner-2026-q2',
        identity: {
          provider: 'github-actions',
          repository: 'acme/app',
          workflow: 'Release Governance',
          runId: '123456',
          runAttempt: '',
          ref: '',
          sha: '',
          actor: '',
          job: '',
          runnerName: '',
        },
      },
    });
    expect(JSON.stringify(runtime)).not.toContain('deadbeef');
  });

  it('takes the legacy operation when requested_operation is absent', () => {
    const { requested_operation: _, ...legacy } = request;
    expect(toRuntimeRequest({ ...legacy, operation: 'terraform apply' }).operation).toBe('terraform apply');
  });

  it('keeps requested_operation and warns when the legacy operation disagrees', () => {
    const { request: runtime, warnings } = parseRuntimeRequest({ ...request, operation: 'terraform apply' });
    expect(runtime.operation).toBe('terraform plan');
    // Upstream reads `operation` first: the runtime sees both.
    expect(runtime.legacyOperation).toBe('terraform apply');
    expect('legacyOperation' in toRuntimeRequest({ ...request, operation: 'terraform plan' })).toBe(false);
    expect(warnings.map((issue) => issue.code)).toEqual(['operation_conflict']);
  });

  it('accepts a decoded binary message', () => {
    const decoded = ReleaseGovernanceEvidenceCodec.decode(
      ReleaseGovernanceEvidenceCodec.encode({
        metadata_kind: 'release-channel-promotion-request',
        approval_state: 'approved',
      }),
    );
    expect(
      toRuntimeRequest({ action_type: 'release_governance_record', release_governance: decoded })
        .releaseGovernance?.approvalState,
    ).toBe('approved');
  });

  it('rejects runner identity values with control characters', () => {
    expect(() =>
      toRuntimeRequest({
        ...request,
        runner_auth: { ...request.runner_auth, identity: { workflow: 'a\nb' } },
      }),
    ).toThrow(
      'invalid RunnerIdentity: runner_auth.identity.workflow: must be a single line of at most 256 bytes without control characters',
    );
  });
});

describe('runtime decision ↔ DecisionResponse', () => {
  const decision: RuntimeDecision = {
    decisionId: 'dec-1',
    sessionId: 'session-1',
    agentId: 'codex-agent',
    actor: 'developer@example.com',
    actionType: 'execute_command',
    target: 'terraform apply',
    operation: 'terraform apply',
    policyPack: 'cavra-ai-agent-baseline',
    policyId: 'cavra-ai-agent-baseline',
    ruleId: 'commands.require_approval[0]',
    decision: 'require_approval',
    severity: 'high',
    reason: 'terraform apply changes infrastructure',
    evidenceRefs: ['policy:sha256:abc'],
    approverGroup: 'platform-approvers',
    timestamp: '2026-11-25T12:00:00.000Z',
    correlationId: 'corr-1',
  };

  it('converts to the wire message with snake_case names and back, losslessly', () => {
    const response = toDecisionResponse(decision);
    expect(DecisionResponseCodec.toJSON(response)).toEqual({
      decision_id: 'dec-1',
      session_id: 'session-1',
      agent_id: 'codex-agent',
      actor: 'developer@example.com',
      action_type: 'execute_command',
      target: 'terraform apply',
      requested_operation: 'terraform apply',
      policy_pack: 'cavra-ai-agent-baseline',
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: 'commands.require_approval[0]',
      decision: 'require_approval',
      severity: 'high',
      reason: 'terraform apply changes infrastructure',
      evidence_refs: ['policy:sha256:abc'],
      approver_group: 'platform-approvers',
      timestamp: '2026-11-25T12:00:00.000Z',
      correlation_id: 'corr-1',
    });
    expect(fromDecisionResponse(DecisionResponseCodec.toJSON(response))).toEqual(decision);
    expect(fromDecisionResponse(JSON.stringify(DecisionResponseCodec.toJSON(response)))).toEqual(decision);
    expect(
      fromDecisionResponse(DecisionResponseCodec.decode(DecisionResponseCodec.encode(response))),
    ).toEqual(decision);
  });

  it('names the field when a response carries an unknown decision', () => {
    expect(() => fromDecisionResponse({ decision_id: 'dec-1', decision: 'deny' })).toThrow(
      'invalid DecisionResponse: decision: unknown decision "deny"; expected one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
    );
  });

  it('refuses a runtime decision the contract does not allow', () => {
    expect(() => toDecisionResponse({ ...decision, decision: 'deny' as never })).toThrow(
      new ContractValidationError('DecisionResponse', [
        {
          path: 'decision',
          code: 'unknown_decision',
          message:
            'unknown decision "deny"; expected one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
        },
      ]).message,
    );
  });
});

describe('release-governance payload → public-safe record', () => {
  const evidence = {
    metadata_kind: 'rollout-artifact-integrity',
    release_channel: 'stable',
    release_version: 'v0.2.0',
    artifact_digest_algorithm: 'sha256',
    artifact_digest: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    integrity_status: 'mismatch',
    integrity_failure_count: 1,
    evidence_refs: ['https://ci.example.com/acme/app/runs/1', 'sbom:v0.2.0'],
  };

  it('keeps identifiers, references and counts under camelCase names', () => {
    const record = toReleaseGovernanceRecord(evidence);
    expect(record.metadataKind).toBe('rollout-artifact-integrity');
    expect(record.integrityStatus).toBe('mismatch');
    expect(record.integrityFailureCount).toBe(1);
    expect(record.evidenceRefs).toEqual(['https://ci.example.com/acme/app/runs/1', 'sbom:v0.2.0']);
    expect(ReleaseGovernanceEvidenceCodec.toJSON(fromReleaseGovernanceRecord(record))).toEqual(evidence);
  });

  it.each([
    [
      'a URL with credentials',
      { evidence_refs: ['https://user:token@ci.example.com/x'] },
      'evidence_refs[0]',
      'unsafe_value',
    ],
    [
      'a URL with a query string',
      { verification_ref: 'https://ci.example.com/x?token=abc' },
      'verification_ref',
      'unsafe_value',
    ],
    [
      'free text in an identifier',
      { release_channel: 'stable; rm -rf /' },
      'release_channel',
      'unsafe_value',
    ],
    ['a status outside its set', { integrity_status: 'looks fine' }, 'integrity_status', 'unsafe_value'],
    ['a digest of the wrong length', { artifact_digest: 'abc' }, 'artifact_digest', 'unsafe_value'],
    ['a digest without an algorithm', { artifact_digest_algorithm: '' }, 'artifact_digest', 'unsafe_value'],
    ['free text as the kind', { metadata_kind: 'release party' }, 'metadata_kind', 'unsafe_value'],
    ['free text as the approval state', { approval_state: 'ok?' }, 'approval_state', 'unsafe_value'],
    ['a provider with spaces', { failed_providers: ['service now'] }, 'failed_providers[0]', 'unsafe_value'],
  ])('rejects %s, naming the field', (_, change, path, code) => {
    try {
      toReleaseGovernanceRecord({ ...evidence, ...change });
      throw new Error('expected a ContractValidationError');
    } catch (error) {
      expect((error as ContractValidationError).issues.map((issue) => [issue.path, issue.code])).toEqual([
        [path, code],
      ]);
    }
  });

  it('prefixes paths when the evidence arrives inside a request', () => {
    expect(() =>
      toRuntimeRequest({
        action_type: 'release_governance_record',
        release_governance: { ...evidence, integrity_status: 'fine' },
      }),
    ).toThrow(
      'invalid ReleaseGovernanceEvidence: release_governance.integrity_status: "fine" is not one of verified, mismatch, missing, failed, tampered',
    );
  });
});

describe('the upstream runtime keys server, tool and capability', () => {
  const mcpRequest = {
    action_type: 'mcp_tool_call',
    server: 'github-mcp',
    tool: 'create_pull_request',
    capability: 'repository',
    policy_pack: 'cavra-mcp-enterprise',
  };

  it('are accepted in strict mode and read into request.mcp', () => {
    const { request, warnings } = parseRuntimeRequest(mcpRequest, { strict: true });
    expect(request.mcp).toEqual({
      server: 'github-mcp',
      tool: 'create_pull_request',
      capability: 'repository',
    });
    expect(warnings).toEqual([]);
  });

  it('are read from JSON text too, absent ones as the empty string', () => {
    const request = toRuntimeRequest(JSON.stringify({ action_type: 'mcp_tool_call', server: 'docs' }));
    expect(request.mcp).toEqual({ server: 'docs', tool: '', capability: '' });
  });

  it('leave request.mcp out when none is given', () => {
    expect('mcp' in toRuntimeRequest({ action_type: 'read_file', target: 'a' })).toBe(false);
  });

  it('must be bounded strings', () => {
    expect(() => toRuntimeRequest({ ...mcpRequest, tool: 7 })).toThrow(/tool: expected a string, got number/);
    expect(() => toRuntimeRequest({ ...mcpRequest, server: 'x'.repeat(1025) })).toThrow(
      /server: is 1025 bytes; the limit is 1024/,
    );
  });

  it('do not make other unknown keys acceptable', () => {
    expect(() => toRuntimeRequest({ ...mcpRequest, servers: 'x' }, { strict: true })).toThrow(
      /EvaluateRequest has no field "servers"/,
    );
  });
});
