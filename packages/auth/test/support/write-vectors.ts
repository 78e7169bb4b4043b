// Regenerates fixtures/hmac-vectors.json from the inputs below: `npx tsx test/support/write-vectors.ts`.
// The committed vectors are the contract; the test fails if the implementation ever signs differently.
import { writeFileSync } from 'node:fs';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { canonicalClaims, identityClaims, signRunnerClaims, signRunnerIdentity } from '../../src/index.js';
import { IDENTITY, NOW, REQUEST, SECRET } from './requests.js';

const inputs = [
  { name: 'execute_command with GitHub Actions identity', request: REQUEST },
  {
    name: 'release-governance record with a failed connector delivery',
    request: {
      session_id: 'release-contract-demo',
      agent_id: 'release-agent',
      actor: 'release.manager@example.com',
      action_type: 'release_governance_record',
      target: 'release-connectors',
      requested_operation: 'verify',
      policy_pack: 'cavra-ai-agent-baseline',
      release_governance: {
        metadata_kind: 'release-connector-delivery',
        release_channel: 'stable',
        release_version: 'v0.2.0',
        failed_providers: ['servicenow'],
        failed_delivery_count: 1,
        blocked_count: 1,
        connector_delivery_source: 'release_governance_promotion',
      },
      runner_auth: { identity: { ...IDENTITY, provider: 'gitlab-ci' } },
    },
  },
  {
    name: 'no identity, multi-byte target',
    request: { session_id: 's', action_type: 'write_file', target: 'docs/naïve:1:x\n.md', policy_pack: 'p' },
  },
];

const vectors = inputs.map(({ name, request }) => {
  const signed = signRunnerClaims(request, {
    keyId: 'ci-runner-2026-q2',
    secret: SECRET,
    now: NOW,
    ttlSeconds: 300,
  });
  const auth = signed.runner_auth as { issued_at: string; expires_at: string; signature: string };
  return {
    name,
    key_id: 'ci-runner-2026-q2',
    secret_utf8: SECRET,
    request: EvaluateRequestCodec.toJSON(signed),
    canonical: canonicalClaims(signed, {
      keyId: 'ci-runner-2026-q2',
      issuedAt: auth.issued_at,
      expiresAt: auth.expires_at,
    }),
    signature: auth.signature,
  };
});
const identityOnly = [IDENTITY, { provider: 'gitlab-ci', repository: 'group/project' }].map((identity) => {
  const signed = signRunnerIdentity(
    { session_id: 's', action_type: 'execute_command', target: 'make' },
    { keyId: 'upstream-runners', secret: SECRET, identity },
  );
  return {
    key_id: 'upstream-runners',
    secret_utf8: SECRET,
    identity,
    signed_text: identityClaims(identity),
    signature: signed.runner_auth?.signature,
  };
});
writeFileSync(
  new URL('../../fixtures/hmac-vectors.json', import.meta.url),
  `${JSON.stringify(
    {
      comment:
        'Test vectors for CAVRA-RUNNER-HMAC-V1 (vectors) and upstream cavra.runner-auth.v1 (identity_only_vectors). The secret is for tests only.',
      vectors,
      identity_only_vectors: identityOnly,
    },
    null,
    2,
  )}\n`,
);
