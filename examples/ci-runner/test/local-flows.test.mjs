import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLocal } from '../local/run-local.mjs';

const POLICY_DECISIONS = [
  'allow     release-approval release-governance.approval.approved',
  'block     release-connector-delivery release-governance.connector-delivery.failed',
  'warn      release-critical-inventory-freshness release-governance.inventory.drifted',
  'allow     release-rollout-evidence-verification release-governance.rollout-verification.verified',
  'allow     release-rollout-artifact-integrity release-governance.artifact-integrity.verified',
  'allow     release-promotion-audit-export release-governance.promotion-audit-export.exported',
  'allow     release-rollback-audit-export release-governance.rollback-audit-export.exported',
];

/** The runner's decision lines, whitespace-normalised: `<decision> <target> <rule id>`. */
const decisions = (stdout) =>
  stdout
    .split('\n')
    .filter((line) => /^[a-z_]+\s{2,}release-/.test(line))
    .map((line) => {
      const [decision, target, rule] = line.trim().split(/\s+/);
      return `${decision.padEnd(10)}${target} ${rule}`;
    });

test('each provider flow authenticates, gets the policy decisions and gates the promotion', async () => {
  const { results, runners, verification } = await runLocal();
  assert.deepEqual(
    results.map((r) => [r.flow, r.exitCode]),
    [
      ['github-actions (OIDC-JWT)', 1],
      ['gitlab-ci (OIDC-JWT)', 1],
      ['azure-pipelines (OIDC-JWT)', 1],
      ['github-actions (HMAC-SHA256)', 1],
      ['github-actions fork (OIDC-JWT, untrusted)', 1],
    ],
  );
  for (const result of results.slice(0, 4)) {
    assert.deepEqual(decisions(result.stdout), POLICY_DECISIONS, result.flow);
    assert.match(
      result.stdout,
      /promotion of v1\.4\.0 blocked by release-governance\.connector-delivery\.failed\n$/,
    );
  }
  assert.deepEqual(
    decisions(results[4].stdout).map((line) => line.split(' ').at(-1)),
    Array(7).fill('runner-auth.untrusted_repository'),
  );
  // Who the daemon authenticated, per record, as written to the evidence log.
  const who = runners.map((r) =>
    r ? `${r.algorithm} ${r.identity.provider} ${r.identity.repository} ${r.identity.ref}` : null,
  );
  assert.deepEqual(who, [
    ...Array(7).fill('OIDC-JWT github-actions acme/app refs/tags/v1.4.0'),
    ...Array(7).fill('OIDC-JWT gitlab-ci acme/app refs/tags/v1.4.0'),
    ...Array(7).fill('OIDC-JWT azure-pipelines https://dev.azure.com/acme/app/_git/app refs/tags/v1.4.0'),
    ...Array(7).fill('HMAC-SHA256 github-actions acme/app refs/tags/v1.4.0'),
    ...Array(7).fill(null),
  ]);
  assert.deepEqual([verification.ok, verification.records], [true, 35]);
});
