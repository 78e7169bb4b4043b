import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdTokenVerifier, RunnerAuthError } from '../src/index.js';
import { JwksServer, mint, type SigningKey, signingKey } from './support/jwks-server.js';

const NOW = new Date('2026-01-05T10:00:00.000Z');
const IAT = NOW.getTime() / 1000;

let key: SigningKey;
let jwks: JwksServer;

beforeAll(async () => {
  key = await signingKey('idp-1', 'ES256');
  jwks = await JwksServer.start([key]);
});
afterAll(() => jwks.stop());

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RunnerAuthError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('createIdTokenVerifier: any OIDC issuer’s ID tokens', () => {
  const claims = {
    iss: 'https://idp.example',
    aud: 'cavra',
    sub: 'u1',
    email: 'bob@example.com',
    iat: IAT,
    exp: IAT + 300,
  };

  it('verifies an ID token of the issuer against its JWKS, and refuses what createOidcVerifier refuses', async () => {
    const verifier = await createIdTokenVerifier({
      issuer: 'https://idp.example',
      audience: 'cavra',
      jwksUri: jwks.jwksUri,
      algorithms: ['ES256'],
      now: () => NOW,
    });
    expect(await verifier.verify(await mint(key, claims))).toEqual({ payload: claims, kid: 'idp-1' });
    expect(await code(verifier.verify(await mint(key, { ...claims, aud: 'other' })))).toBe(
      'wrong_audience: token audience is not the configured audience',
    );
    expect(await code(verifier.verify(await mint(key, { ...claims, exp: IAT - 61, iat: IAT - 300 })))).toBe(
      'expired: token has expired',
    );
    expect(await code(verifier.verify(await mint(key, { ...claims, exp: IAT + 21_601 })))).toBe(
      'ttl_too_long: token lifetime (exp - iat) is longer than 21600 seconds',
    );
  });

  it('refuses a symmetric algorithm, a missing audience, a bad JWKS URL or lifetime as invalid_config', async () => {
    const base = {
      issuer: 'https://idp.example',
      audience: 'cavra',
      jwksUri: jwks.jwksUri,
      algorithms: ['ES256'],
    };
    expect(await code(createIdTokenVerifier({ ...base, algorithms: ['HS256'] }))).toBe(
      'invalid_config: only asymmetric algorithms may be allowed',
    );
    expect(await code(createIdTokenVerifier({ ...base, audience: '' }))).toBe(
      'invalid_config: an ID token verifier needs an issuer and an audience',
    );
    expect(await code(createIdTokenVerifier({ ...base, jwksUri: 'nope' }))).toBe(
      'invalid_config: the issuer: jwksUri is not a URL',
    );
    expect(await code(createIdTokenVerifier({ ...base, maxTokenLifetimeSeconds: 0 }))).toBe(
      'invalid_config: maxTokenLifetimeSeconds must be a positive integer',
    );
    expect(await code(createIdTokenVerifier({ ...base, jwksMaxBytes: -1 }))).toBe(
      'invalid_config: jwks maxBytes must be a non-negative integer',
    );
  });
});
