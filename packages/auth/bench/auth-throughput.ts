// Verifications per second: HMAC-SHA256 runner claims vs OIDC-JWT tokens against a cached JWKS on loopback.
// Run: pnpm --filter @cavra/auth bench. Not a test: numbers depend on the machine; the ratio is what compares.
import { performance } from 'node:perf_hooks';
import {
  attachOidcToken,
  createKeyring,
  createOidcVerifier,
  ReplayCache,
  signRunnerClaims,
  verifyRunnerAuth,
} from '../src/index.js';
import { JwksServer, mint, signingKey } from '../test/support/jwks-server.js';
import { IDENTITY, REQUEST, SECRET } from '../test/support/requests.js';

const SECONDS = 3;

let calls = 0;

/** Calls per second over SECONDS, or over `limit` calls if they run out first (each call's input used once). */
async function rate(
  label: string,
  run: (call: number) => unknown | Promise<unknown>,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  for (let i = 0; i < 200; i++) await run(calls++); // warm-up
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000 && count < limit) {
    await run(calls++);
    count++;
  }
  const perSecond = count / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} /s`);
  return perSecond;
}

const keyring = createKeyring([{ keyId: 'bench', secret: Buffer.from(SECRET) }]);
const signed = Array.from({ length: 100_000 }, (_, i) =>
  signRunnerClaims({ ...REQUEST, session_id: `s-${i}` }, { keyId: 'bench', secret: SECRET }),
);
const cache = new ReplayCache({ maxEntries: 1_000_000 });
// Every timed call goes through the replay cache with a signature it has not seen: the timing stops when they run out.
const hmac = await rate(
  'HMAC-SHA256 verify (with replay cache)',
  (i) => verifyRunnerAuth(signed[i] as (typeof signed)[number], keyring, { replayCache: cache }),
  signed.length - 200,
);

const rsa = await signingKey('bench-rsa', 'RS256');
const es = await signingKey('bench-es', 'ES256');
const server = await JwksServer.start([rsa, es]);
const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'cavra',
  iat: now,
  exp: now + 600,
  ...{
    repository: IDENTITY.repository,
    ref: IDENTITY.ref,
    sha: IDENTITY.sha,
    workflow: IDENTITY.workflow,
    run_id: IDENTITY.run_id,
  },
};
const verifier = await createOidcVerifier({
  providers: [
    {
      provider: 'github-actions',
      audience: 'cavra',
      jwksUri: server.jwksUri,
      algorithms: ['RS256', 'ES256'],
    },
  ],
  trust: { providers: ['github-actions'], repositories: ['acme/*'] },
});
const rsaRequest = attachOidcToken(REQUEST, await mint(rsa, claims), IDENTITY);
const esRequest = attachOidcToken(REQUEST, await mint(es, claims), IDENTITY);
const rs256 = await rate('OIDC-JWT RS256 verify (cached JWKS)', () => verifier.verify(rsaRequest));
const es256 = await rate('OIDC-JWT ES256 verify (cached JWKS)', () => verifier.verify(esRequest));
await server.stop();
console.log(`JWKS fetches during the run: ${server.requests}`);
console.log(`ratio HMAC / RS256: ${(hmac / rs256).toFixed(1)}x, HMAC / ES256: ${(hmac / es256).toFixed(1)}x`);
