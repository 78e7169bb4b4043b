import type { EvaluateRequestInit } from '@cavra/contracts';

export const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';
export const NOW = new Date('2026-11-25T10:00:00Z');

export const IDENTITY = {
  provider: 'github-actions',
  repository: 'acme/app',
  workflow: 'Release Governance',
  run_id: '123456',
  run_attempt: '1',
  ref: 'refs/heads/main',
  sha: 'abc123',
  actor: 'octocat',
  job: 'release',
  runner_name: 'runner-1',
};

export const REQUEST: EvaluateRequestInit = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'execute_command',
  target: 'terraform plan',
  requested_operation: 'terraform plan',
  policy_pack: 'cavra-ai-agent-baseline',
  runner_auth: { identity: IDENTITY },
};
