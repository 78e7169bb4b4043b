import { createHash } from 'node:crypto';
import { generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovalError,
  type ApproverKeyPair,
  createOidcReviewVerifier,
  generateApproverKey,
  type OidcReviewVerifier,
  signReview,
  verifyReview,
} from '../src/index.js';
import { OidcIssuer } from './support/oidc-issuer.js';

const NOW = new Date('2026-01-05T10:00:00.000Z');
const IAT = NOW.getTime() / 1000;
const REVIEW = { request_id: 'dec-123', verdict: 'approve', reviewer: 'bob@example.com' } as const;

let issuer: OidcIssuer;
let oidc: OidcReviewVerifier;
let ephemeral: ApproverKeyPair;

beforeAll(async () => {
  issuer = await OidcIssuer.start();
  oidc = await createOidcReviewVerifier({
    issuer: issuer.url,
    audience: 'cavra-approvals',
    jwksUrl: `${issuer.url}/jwks`,
    now: () => NOW,
  });
  ephemeral = await generateApproverKey();
});
afterAll(() => issuer.close());

function claims(change: JWTPayload = {}): JWTPayload {
  return {
    iss: issuer.url,
    aud: 'cavra-approvals',
    sub: 'user-42',
    email: 'bob@example.com',
    groups: ['Repository Owners', 'Developers'],
    nonce: ephemeral.kid,
    iat: IAT - 30,
    exp: IAT + 600,
    ...change,
  };
}

async function review(idToken: string, key = ephemeral, reviewer = 'bob@example.com'): Promise<string> {
  return signReview({ ...REVIEW, reviewer }, key.privateKeyPem, { now: NOW, idToken });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('OIDC reviews (ID token verified against a JWKS served on loopback)', () => {
  it('an ID token bound to the review key by its nonce vouches for the reviewer and their groups', async () => {
    const idToken = await issuer.idToken(claims());
    const jws = await review(idToken);
    const verified = await verifyReview(jws, { approvers: {}, oidc, now: NOW });
    expect(verified).toEqual({
      ...REVIEW,
      iat: IAT,
      exp: IAT + 300,
      jti: verified.jti,
      groups: ['Repository Owners', 'Developers'],
      method: 'oidc',
      kid: ephemeral.kid,
      id_token: {
        issuer: issuer.url,
        subject: 'user-42',
        sha256: createHash('sha256').update(idToken).digest('hex'),
        exp: IAT + 600,
      },
    });
    expect(JSON.stringify(verified)).not.toContain(idToken);
  });

  it('a token whose nonce names another key is token_invalid (the OpenPubkey binding)', async () => {
    const other = await generateApproverKey();
    const jws = await review(await issuer.idToken(claims()), other);
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'the ID token’s nonce is not the review key’s thumbprint',
    });
  });

  it('a review naming someone other than the token’s identity is token_invalid', async () => {
    const jws = await review(await issuer.idToken(claims()), ephemeral, 'carol@example.com');
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'the ID token names another reviewer',
    });
  });

  it('an expired ID token is token_expired', async () => {
    const jws = await review(await issuer.idToken(claims({ iat: IAT - 3000, exp: IAT - 61 })));
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_expired',
      message: 'the approver’s ID token has expired',
    });
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }, 'token issuer is not the configured issuer'],
    ['another audience', { aud: 'someone-else' }, 'token audience is not the configured audience'],
    ['no identity claim', { email: undefined }, undefined],
  ])('a token of %s is token_invalid', async (_label, change, reason) => {
    const jws = await review(await issuer.idToken(claims(change)));
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: reason
        ? `the approver’s ID token is refused: ${reason}`
        : "the approver’s ID token has no 'email' claim",
    });
  });

  it('a token signed by a key the issuer did not publish (forged) is token_invalid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const jws = await review(await issuer.idToken(claims(), privateKey));
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'the approver’s ID token is refused: token signature does not verify',
    });
  });

  it('an unsigned ID token (alg none) and an HS256 one are token_invalid', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${b64({ alg: 'none', kid: 'issuer-key-1' })}.${b64(claims())}.`;
    expect(await refusal(verifyReview(await review(none), { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'the approver’s ID token is refused: token algorithm is not one of RS256, ES256, EdDSA',
    });
    const hs256 = `${b64({ alg: 'HS256', kid: 'issuer-key-1' })}.${b64(claims())}.c2lnbmF0dXJl`;
    expect((await refusal(verifyReview(await review(hs256), { approvers: {}, oidc, now: NOW }))).code).toBe(
      'token_invalid',
    );
  });

  it('a review whose kid is not its jwk’s thumbprint is invalid_review', async () => {
    const idToken = await issuer.idToken(claims());
    const jws = await signReview(REVIEW, ephemeral.privateKeyPem, { now: NOW, idToken, kid: 'another-kid' });
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc, now: NOW }))).toEqual({
      code: 'invalid_review',
      message: 'the review’s kid is not its jwk’s thumbprint',
    });
  });

  it('a token without the groups claim vouches for no group', async () => {
    const jws = await review(await issuer.idToken(claims({ groups: undefined })));
    expect((await verifyReview(jws, { approvers: {}, oidc, now: NOW })).groups).toEqual([]);
  });

  it('an unreachable JWKS is token_invalid, never an accepted review', async () => {
    const offline = await createOidcReviewVerifier({
      issuer: issuer.url,
      audience: 'cavra-approvals',
      jwksUrl: 'http://127.0.0.1:9/jwks',
      now: () => NOW,
    });
    const jws = await review(await issuer.idToken(claims()));
    expect(await refusal(verifyReview(jws, { approvers: {}, oidc: offline, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'the approver’s ID token is refused: provider JWKS is unavailable',
    });
  });

  it('a bad OIDC configuration is a TypeError', async () => {
    await expect(
      createOidcReviewVerifier({ issuer: issuer.url, audience: 'a', jwksUrl: 'not a url' }),
    ).rejects.toThrow(new TypeError('approvals OIDC: the issuer: jwksUri is not a URL'));
    await expect(
      createOidcReviewVerifier({
        issuer: issuer.url,
        audience: 'a',
        jwksUrl: `${issuer.url}/jwks`,
        algorithms: ['HS256'],
      }),
    ).rejects.toThrow(new TypeError('approvals OIDC: only asymmetric algorithms may be allowed'));
  });
});
