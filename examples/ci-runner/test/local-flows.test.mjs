import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runLocal } from '../local/run-local.mjs';

const RELEASE_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'release.json');

const POLICY_DECISIONS = [
  'allow release-channel-promotion-request release_governance.approval.approved',
  'block release-connector-delivery release_governance.delivery.failed',
  'require_approval endpoint-inventory-freshness-report release_governance.signal.critical',
  'allow rollout-evidence-verification release_governance.record.verified',
  'allow rollout-artifact-integrity release_governance.record.verified',
  'allow rollout-promotion-audit-export release_governance.record.verified',
  'allow rollout-rollback-audit-export release_governance.record.verified',
];

const POLICY_REASONS = [
  'release-channel-promotion-request is approved (CHG-2048)',
  'release-connector-delivery reports a failed delivery (servicenow)',
  'endpoint-inventory-freshness-report reports critical signals: drift_status drifted',
  'rollout-evidence-verification is known evidence with no blocking signal',
  'rollout-artifact-integrity is known evidence with no blocking signal',
  'rollout-promotion-audit-export is known evidence with no blocking signal',
  'rollout-rollback-audit-export is known evidence with no blocking signal',
];

const TRUSTED_FLOWS = [
  'github-actions (OIDC-JWT)',
  'gitlab-ci (OIDC-JWT)',
  'azure-pipelines (OIDC-JWT)',
  'github-actions (HMAC-SHA256)',
];
const FORK_FLOW = 'github-actions fork (OIDC-JWT, untrusted)';

/** The runner's decision lines, whitespace-normalised: `<decision> <target> <rule id>`. */
const decisions = (stdout) =>
  stdout
    .split('\n')
    .filter((line) =>
      /^(allow|block|require_approval|warn|audit_only|allow_with_attestation)\s+[a-z]/.test(line),
    )
    .map((line) => {
      const [decision, target, rule] = line.trim().split(/\s+/);
      return `${decision} ${target} ${rule}`;
    });

/** The reason printed under each decision line. */
const reasons = (stdout) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('    '))
    .map((line) => line.trim());

test('each provider flow authenticates, gets the policy decisions and gates the promotion', async () => {
  const { results, runners, verification } = await runLocal();
  assert.deepEqual(
    results.map((r) => [r.flow, r.exitCode]),
    [...TRUSTED_FLOWS.map((flow) => [flow, 1]), [FORK_FLOW, 1]],
  );
  for (const result of results.slice(0, 4)) {
    assert.deepEqual(decisions(result.stdout), POLICY_DECISIONS, result.flow);
    assert.deepEqual(reasons(result.stdout), POLICY_REASONS, result.flow);
    assert.match(result.stdout, /promotion of v1\.4\.0 blocked by release_governance\.delivery\.failed\n$/);
  }
  assert.deepEqual(
    decisions(results[4].stdout).map((line) => line.split(' ').at(-1)),
    Array(7).fill('runner_auth.invalid'),
  );
  assert.equal(results[4].stdout.match(/runner authentication failed: untrusted_repository: /g)?.length, 7);
  assert.match(results[4].stdout, /promotion of v1\.4\.0 blocked by runner_auth\.invalid\n$/);
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

test('a release with every check passing lets every trusted flow through (exit 0), and never the fork', async (t) => {
  const release = JSON.parse(await readFile(RELEASE_FILE, 'utf8'));
  const dir = await mkdtemp(join(tmpdir(), 'cavra-ci-green-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const green = join(dir, 'release.json');
  await writeFile(
    green,
    JSON.stringify({
      ...release,
      delivery: { success: true, failedProviders: [], source: 'release_governance_promotion' },
      inventory: { alertLevel: 'none', driftStatus: 'in_sync', driftedEndpointCount: 0 },
    }),
  );
  const { results, verification } = await runLocal({ release: green });
  assert.deepEqual(
    results.map((r) => [r.flow, r.exitCode]),
    [...TRUSTED_FLOWS.map((flow) => [flow, 0]), [FORK_FLOW, 1]],
  );
  for (const result of results.slice(0, 4)) {
    assert.deepEqual(
      decisions(result.stdout).map((line) => line.split(/\s+/).at(-1)),
      ['release_governance.approval.approved', ...Array(6).fill('release_governance.record.verified')],
      result.flow,
    );
    assert.doesNotMatch(result.stdout, /blocked by/);
  }
  assert.deepEqual([verification.ok, verification.records], [true, 35]);
});
