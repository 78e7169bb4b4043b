import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { CompactSign, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovalError,
  type ApproverGroups,
  type ApproverKeyPair,
  generateApproverKey,
  keyThumbprint,
  signReview,
  verifyReview,
} from '../src/index.js';

const NOW = new Date('2026-01-05T10:00:00.000Z');
const IAT = NOW.getTime() / 1000;
const REVIEW = {
  request_id: 'dec-123',
  verdict: 'approve',
  scope: 'ttl:2h',
  reviewer: 'bob@example.com',
} as const;

let bob: ApproverKeyPair;
let mallory: ApproverKeyPair;
let approvers: ApproverGroups;

beforeAll(async () => {
  bob = await generateApproverKey();
  mallory = await generateApproverKey();
  approvers = {
    'Repository Owners': [{ id: 'bob@example.com', publicKey: bob.publicKeyPem }],
    'Release Governance': [{ id: 'bob@example.com', publicKey: createPublicKey(bob.publicKeyPem) }],
    'Platform Security': [{ id: 'carol@example.com', publicKey: mallory.publicKeyPem }],
  };
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

/** A JWS with any header and payload, signed by `key` (what a forger can make). */
function rawJws(header: Record<string, unknown>, payload: Record<string, unknown>, pem: string) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(createPrivateKey(pem));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('approver keys', () => {
  it('an Ed25519 key pair in PEM, its kid the RFC 7638 thumbprint', async () => {
    expect(bob.privateKeyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(bob.publicKeyPem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    expect(bob.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await keyThumbprint(bob.publicKeyPem)).toBe(bob.kid);
    expect(await keyThumbprint(bob.privateKeyPem)).toBe(bob.kid);
  });

  it('only Ed25519 and P-256 keys sign reviews', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(signReview(REVIEW, rsa)).rejects.toThrow(
      new TypeError('approver keys are Ed25519 or P-256 (EdDSA or ES256)'),
    );
    await expect(signReview(REVIEW, bob.publicKeyPem)).rejects.toThrow(
      new TypeError('a review is signed with a private key (PKCS #8 PEM or KeyObject)'),
    );
    await expect(signReview(REVIEW, bob.privateKeyPem, { lifetimeSeconds: 601 })).rejects.toThrow(
      new TypeError('lifetimeSeconds must be an integer from 1 to 600'),
    );
  });
});

describe('signReview and verifyReview with approver keys', () => {
  it('round trip: the header, and the review with the groups listing that key for that id', async () => {
    const jws = await signReview({ ...REVIEW, reason: 'release day' }, bob.privateKeyPem, { now: NOW });
    expect(decodeProtectedHeader(jws)).toEqual({
      alg: 'EdDSA',
      kid: bob.kid,
      typ: 'cavra-approval-review+jws',
    });
    const verified = await verifyReview(jws, { approvers, now: NOW });
    expect(verified).toEqual({
      ...REVIEW,
      reason: 'release day',
      iat: IAT,
      exp: IAT + 300,
      jti: verified.jti,
      groups: ['Repository Owners', 'Release Governance'],
      method: 'key',
      kid: bob.kid,
      jws,
    });
    expect(verified.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('ES256 (P-256) keys verify too', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = await signReview(REVIEW, privateKey, { now: NOW });
    expect(decodeProtectedHeader(jws).alg).toBe('ES256');
    const verified = await verifyReview(jws, {
      approvers: { 'Repository Owners': [{ id: 'bob@example.com', publicKey }] },
      now: NOW,
    });
    expect([verified.reviewer, verified.groups, verified.kid]).toEqual([
      'bob@example.com',
      ['Repository Owners'],
      await keyThumbprint(publicKey),
    ]);
  });

  it('a forged signature (payload changed after signing) is bad_signature', async () => {
    const jws = await signReview({ ...REVIEW, verdict: 'deny' }, bob.privateKeyPem, { now: NOW });
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const changed = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), verdict: 'approve' };
    expect(
      await refusal(verifyReview(`${header}.${b64(changed)}.${signature}`, { approvers, now: NOW })),
    ).toEqual({
      code: 'bad_signature',
      message: 'the review signature does not verify',
    });
  });

  it('a key listed nowhere is unknown_approver; a kid naming bob over mallory’s signature is bad_signature', async () => {
    const stranger = await generateApproverKey();
    expect(
      await refusal(
        verifyReview(await signReview(REVIEW, stranger.privateKeyPem, { now: NOW }), { approvers, now: NOW }),
      ),
    ).toEqual({
      code: 'unknown_approver',
      message: 'the review is signed by no listed approver key',
    });
    const claimed = await signReview(REVIEW, stranger.privateKeyPem, { now: NOW, kid: bob.kid });
    expect((await refusal(verifyReview(claimed, { approvers, now: NOW }))).code).toBe('bad_signature');
  });

  it('a listed key signing for another reviewer is unknown_approver', async () => {
    const jws = await signReview({ ...REVIEW, reviewer: 'bob@example.com' }, mallory.privateKeyPem, {
      now: NOW,
    });
    expect(await refusal(verifyReview(jws, { approvers, now: NOW }))).toEqual({
      code: 'unknown_approver',
      message: 'the review key is not listed for this reviewer',
    });
  });

  it('expiry with 60 s of skew: token_expired; issued in the future: token_invalid', async () => {
    const jws = await signReview(REVIEW, bob.privateKeyPem, { now: NOW, lifetimeSeconds: 300 });
    const after = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect((await verifyReview(jws, { approvers, now: after(359) })).reviewer).toBe('bob@example.com');
    expect(await refusal(verifyReview(jws, { approvers, now: after(360) }))).toEqual({
      code: 'token_expired',
      message: 'the review has expired',
    });
    expect((await verifyReview(jws, { approvers, now: after(-60) })).reviewer).toBe('bob@example.com');
    expect(await refusal(verifyReview(jws, { approvers, now: after(-61) }))).toEqual({
      code: 'token_invalid',
      message: 'the review is issued in the future',
    });
  });

  it('a review living longer than 10 minutes, or ending before it starts, is invalid_review', async () => {
    const header = { alg: 'EdDSA', kid: bob.kid, typ: 'cavra-approval-review+jws' };
    const payload = { ...REVIEW, iat: IAT, jti: 'abcdefghijklmnop' };
    for (const [exp, message] of [
      [IAT + 601, 'a review lives at most 600 seconds'],
      [IAT, 'the review expires before it is issued'],
    ] as const) {
      const jws = await rawJws(header, { ...payload, exp }, bob.privateKeyPem);
      expect(await refusal(verifyReview(jws, { approvers, now: NOW }))).toEqual({
        code: 'invalid_review',
        message,
      });
    }
  });

  it('alg none and HS256 are bad_signature; a wrong typ or no JWS at all is invalid_review', async () => {
    const payload = { ...REVIEW, iat: IAT, exp: IAT + 60, jti: 'abcdefghijklmnop' };
    const none = `${b64({ alg: 'none', kid: bob.kid, typ: 'cavra-approval-review+jws' })}.${b64(payload)}.`;
    expect(await refusal(verifyReview(none, { approvers, now: NOW }))).toEqual({
      code: 'bad_signature',
      message: 'a review is signed with EdDSA or ES256',
    });
    const hs256 = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', kid: bob.kid, typ: 'cavra-approval-review+jws' })
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    expect((await refusal(verifyReview(hs256, { approvers, now: NOW }))).code).toBe('bad_signature');
    const jwt = await rawJws({ alg: 'EdDSA', kid: bob.kid, typ: 'JWT' }, payload, bob.privateKeyPem);
    expect(await refusal(verifyReview(jwt, { approvers, now: NOW }))).toEqual({
      code: 'invalid_review',
      message: "the review's typ is not cavra-approval-review+jws",
    });
    expect(await refusal(verifyReview('not a jws', { approvers, now: NOW }))).toEqual({
      code: 'invalid_review',
      message: 'the review is not a compact JWS',
    });
    expect((await refusal(verifyReview('x'.repeat(16_385), { approvers, now: NOW }))).code).toBe(
      'invalid_review',
    );
  });

  it.each([
    [
      'a verdict of maybe',
      { verdict: 'maybe' },
      'invalid_review',
      "the review's verdict is not approve or deny",
    ],
    [
      'a request_id with a space',
      { request_id: 'a b' },
      'invalid_review',
      "the review's request_id is not an id",
    ],
    [
      'a reason with a line break',
      { reason: 'line\nbreak' },
      'invalid_review',
      "the review's reason is not printable text of at most 512 characters",
    ],
    [
      'a reason of 513 characters',
      { reason: 'x'.repeat(513) },
      'invalid_review',
      "the review's reason is not printable text of at most 512 characters",
    ],
    [
      'a jti of 5 characters',
      { jti: 'short' },
      'invalid_review',
      "the review's jti is not 16 to 64 base64url characters",
    ],
    [
      'an unknown field',
      { admin: true },
      'invalid_review',
      'the review payload has a field a review does not have',
    ],
    [
      'a ttl in weeks',
      { scope: 'ttl:1w' },
      'invalid_scope',
      'a duration is <number><s|m|h|d>, e.g. 30s, 15m, 2h or 1d',
    ],
    ['a numeric scope', { scope: 7 }, 'invalid_review', "the review's scope is not a string"],
  ])('a payload with %s is %s', async (_label, change, code, message) => {
    const payload = { ...REVIEW, iat: IAT, exp: IAT + 60, jti: 'abcdefghijklmnop', ...change };
    const jws = await rawJws(
      { alg: 'EdDSA', kid: bob.kid, typ: 'cavra-approval-review+jws' },
      payload,
      bob.privateKeyPem,
    );
    expect(await refusal(verifyReview(jws, { approvers, now: NOW }))).toEqual({ code, message });
  });

  it('a jti seen before (a set or the store’s callback) is replayed_review', async () => {
    const jws = await signReview(REVIEW, bob.privateKeyPem, { now: NOW });
    const { jti } = await verifyReview(jws, { approvers, now: NOW, seenJti: new Set(['other']) });
    expect(await refusal(verifyReview(jws, { approvers, now: NOW, seenJti: new Set([jti]) }))).toEqual({
      code: 'replayed_review',
      message: 'this review was already submitted',
    });
    const asked: string[] = [];
    const seen = async (candidate: string) => {
      asked.push(candidate);
      return true;
    };
    expect((await refusal(verifyReview(jws, { approvers, now: NOW, seenJti: seen }))).code).toBe(
      'replayed_review',
    );
    expect(asked).toEqual([jti]);
  });

  it('an OIDC review without an OIDC issuer configured is token_invalid', async () => {
    const ephemeral = await generateApproverKey();
    const jws = await signReview(REVIEW, ephemeral.privateKeyPem, { now: NOW, idToken: 'a.b.c' });
    expect(await refusal(verifyReview(jws, { approvers, now: NOW }))).toEqual({
      code: 'token_invalid',
      message: 'OIDC reviews are not accepted: no OIDC issuer is configured',
    });
  });
});
