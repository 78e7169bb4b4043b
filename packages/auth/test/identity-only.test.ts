import { createHmac } from 'node:crypto';
import { EvaluateRequestCodec, type EvaluateRequestInit } from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/hmac-vectors.json' with { type: 'json' };
import {
  createKeyring,
  type HmacScheme,
  identityClaims,
  loadKeyring,
  RunnerAuthError,
  signRunnerClaims,
  signRunnerIdentity,
  verifyRunnerAuth,
} from '../src/index.js';
import { IDENTITY, NOW, REQUEST, SECRET } from './support/requests.js';

const upstreamKeyring = createKeyring([
  { keyId: 'upstream-runners', secret: Buffer.from(SECRET), scheme: 'cavra.runner-auth.v1' },
]);

function failure(run: () => unknown): [string, string] {
  try {
    run();
  } catch (error) {
    if (error instanceof RunnerAuthError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a RunnerAuthError');
}

/** The wire request an upstream runner sends: identity, algorithm, key id and a hex MAC over the identity text. */
function upstreamRequest(
  identity: Record<string, string | undefined>,
  signature: string,
  request: EvaluateRequestInit = REQUEST,
) {
  return EvaluateRequestCodec.fromJSON({
    ...request,
    runner_auth: { identity, algorithm: 'HMAC-SHA256', key_id: 'upstream-runners', signature },
  });
}

describe('identity-only HMAC (upstream cavra.runner-auth.v1)', () => {
  it.each(vectors.identity_only_vectors)(
    'signs and verifies the fixture vector for $identity.provider',
    (vector) => {
      expect(identityClaims(vector.identity)).toBe(vector.signed_text);
      const runner = verifyRunnerAuth(upstreamRequest(vector.identity, vector.signature), upstreamKeyring);
      expect(runner.keyId).toBe('upstream-runners');
      const signed = signRunnerIdentity(REQUEST, {
        keyId: 'upstream-runners',
        secret: SECRET,
        identity: vector.identity,
      });
      expect(signed.runner_auth?.signature).toBe(vector.signature);
    },
  );

  it('returns a runner that says it is not bound to the request, and has no time bound', () => {
    const signed = signRunnerIdentity(REQUEST, { keyId: 'upstream-runners', secret: SECRET });
    expect(EvaluateRequestCodec.toJSON(signed).runner_auth).toEqual({
      identity: IDENTITY,
      algorithm: 'HMAC-SHA256',
      key_id: 'upstream-runners',
      signature: createHmac('sha256', SECRET)
        .update(
          'cavra.runner-auth.v1\nprovider=github-actions\nrepository=acme/app\nworkflow=Release Governance\nrun_id=123456\nrun_attempt=1\nref=refs/heads/main\nsha=abc123\nactor=octocat\njob=release\nrunner_name=runner-1',
        )
        .digest('hex'),
    });
    expect(verifyRunnerAuth(signed, upstreamKeyring)).toEqual({
      algorithm: 'HMAC-SHA256',
      keyId: 'upstream-runners',
      scheme: 'cavra.runner-auth.v1',
      requestBound: false,
      identity: {
        provider: 'github-actions',
        repository: 'acme/app',
        workflow: 'Release Governance',
        runId: '123456',
        runAttempt: '1',
        ref: 'refs/heads/main',
        sha: 'abc123',
        actor: 'octocat',
        job: 'release',
        runnerName: 'runner-1',
      },
    });
  });

  it('is valid for any request and any number of times: that is why it is opt-in per key', () => {
    const signature = signRunnerIdentity(REQUEST, { keyId: 'upstream-runners', secret: SECRET }).runner_auth
      ?.signature as string;
    const other = { ...REQUEST, target: 'rm -rf /', session_id: 'another' };
    for (let i = 0; i < 3; i++) {
      expect(
        verifyRunnerAuth(upstreamRequest(IDENTITY, signature, other), upstreamKeyring).requestBound,
      ).toBe(false);
    }
  });

  it('refuses a changed identity, upper-case hex, a request-bound signature, and an identity without repository', () => {
    const signature = signRunnerIdentity(REQUEST, { keyId: 'upstream-runners', secret: SECRET }).runner_auth
      ?.signature as string;
    expect(
      failure(() =>
        verifyRunnerAuth(upstreamRequest({ ...IDENTITY, ref: 'refs/heads/dev' }, signature), upstreamKeyring),
      ),
    ).toEqual(['bad_signature', 'signature does not match the signed runner identity']);
    expect(
      failure(() => verifyRunnerAuth(upstreamRequest(IDENTITY, signature.toUpperCase()), upstreamKeyring)),
    ).toEqual([
      'bad_encoding',
      'a cavra.runner-auth.v1 signature must be the 32-byte HMAC as 64 lower-case hex characters',
    ]);
    const bound = signRunnerClaims(REQUEST, { keyId: 'upstream-runners', secret: SECRET, now: NOW });
    expect(failure(() => verifyRunnerAuth(bound, upstreamKeyring))).toEqual([
      'scheme_not_enabled',
      "HMAC key 'upstream-runners' is marked with scheme cavra.runner-auth.v1 and accepts only that scheme's signatures",
    ]);
    const noRepository = { provider: 'github-actions' };
    const mac = createHmac('sha256', SECRET).update(identityClaims(noRepository)).digest('hex');
    expect(failure(() => verifyRunnerAuth(upstreamRequest(noRepository, mac), upstreamKeyring))).toEqual([
      'missing_claim',
      'runner_auth.identity.repository is required',
    ]);
    expect(
      failure(() => signRunnerIdentity(REQUEST, { keyId: 'k', secret: SECRET, identity: noRepository })),
    ).toEqual(['missing_claim', 'identity.repository is required']);
  });

  it('is enabled per key, by configuration only', async () => {
    const ring = await loadKeyring(
      [
        { keyId: 'ours', secretEnv: 'OURS' },
        { keyId: 'theirs', secretEnv: 'THEIRS', scheme: 'cavra.runner-auth.v1' },
      ],
      { OURS: SECRET, THEIRS: SECRET },
    );
    expect([ring.get('ours')?.scheme, ring.get('theirs')?.scheme]).toEqual([
      'CAVRA-RUNNER-HMAC-V1',
      'cavra.runner-auth.v1',
    ]);
    expect(
      failure(() =>
        createKeyring([{ keyId: 'k', secret: Buffer.from(SECRET), scheme: 'hex' as unknown as HmacScheme }]),
      ),
    ).toEqual([
      'invalid_config',
      "HMAC key 'k': scheme must be CAVRA-RUNNER-HMAC-V1 or cavra.runner-auth.v1",
    ]);
  });
});
