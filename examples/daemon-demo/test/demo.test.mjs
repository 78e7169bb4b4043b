import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionTable } from '../lib/decision-table.mjs';
import { runDemo } from '../lib/run-demo.mjs';

test('the demo session gets the documented decisions and a verified evidence log', async () => {
  const { session, promotion, health, verification } = await runDemo();
  assert.deepEqual(
    session.map((d) => [d.action_type, d.decision, d.rule_id]),
    [
      ['read_file', 'allow', 'filesystem.read.allow'],
      ['read_file', 'block', 'filesystem.read.block'],
      ['write_file', 'allow', 'filesystem.write.allow'],
      ['write_file', 'require_approval', 'filesystem.write.require_approval'],
      ['execute_command', 'allow', 'commands.allow'],
      ['execute_command', 'block', 'commands.block'],
      ['execute_command', 'require_approval', 'commands.default.require_approval'],
      ['git_push', 'block', 'git.protected_branch.block_direct_push'],
      ['git_push', 'allow', 'git.allow'],
      ['git_operation', 'block', 'git.protected_branch.block_direct_push'],
      ['mcp_tool_call', 'block', 'mcp.server.trust.block_unknown'],
    ],
  );
  assert.deepEqual(
    promotion.map((d) => [d.target, d.decision, d.rule_id]),
    [
      ['release-channel-promotion-request', 'allow', 'release_governance.approval.approved'],
      ['release-connector-delivery', 'block', 'release_governance.delivery.failed'],
      ['endpoint-inventory-freshness-report', 'require_approval', 'release_governance.signal.critical'],
      ['rollout-evidence-verification', 'allow', 'release_governance.record.verified'],
      ['rollout-artifact-integrity', 'allow', 'release_governance.record.verified'],
      ['rollout-promotion-audit-export', 'allow', 'release_governance.record.verified'],
      ['rollout-rollback-audit-export', 'allow', 'release_governance.record.verified'],
    ],
  );
  assert.deepEqual(
    promotion.map((d) => d.reason),
    [
      'release-channel-promotion-request is approved (CHG-2048)',
      'release-connector-delivery reports a failed delivery (servicenow)',
      'endpoint-inventory-freshness-report reports critical signals: alert_level critical, critical_count 2',
      'rollout-evidence-verification is known evidence with no blocking signal',
      'rollout-artifact-integrity is known evidence with no blocking signal',
      'rollout-promotion-audit-export is known evidence with no blocking signal',
      'rollout-rollback-audit-export is known evidence with no blocking signal',
    ],
  );
  assert.deepEqual([health.counts.requests, health.evidence.records], [18, 18]);
  assert.deepEqual([verification.ok, verification.records, verification.tornTail], [true, 18, false]);
});

test('the table shows every decision with its rule and reason, without colour in a pipe', () => {
  delete process.env.FORCE_COLOR;
  delete process.env.NO_COLOR;
  const text = decisionTable(
    'T',
    [
      {
        decision: 'block',
        action_type: 'read_file',
        target: '.env',
        rule_id: 'filesystem.read.block',
        reason: 'no',
      },
    ],
    { isTTY: false },
  );
  assert.equal(
    text,
    'T\n  #  decision          action                     target                                rule\n' +
      '  1  block             read_file                  .env                                  filesystem.read.block\n' +
      '     no\n',
  );
});
