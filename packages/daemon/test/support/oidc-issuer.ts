import type { webcrypto } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunnerIdentityInit } from '@cavra/contracts';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const IDENTITY: RunnerIdentityInit = {
  provider: 'github-actions',
  repository: 'acme/app',
  ref: 'refs/heads/main',
  sha: 'abc123',
  workflow: 'Release Governance',
  run_id: '123456',
};

/**
 * A GitHub-Actions-like OIDC issuer on loopback: mints RS256 job tokens, hands them to a job at `/token` (as GitHub's
 * ACTIONS_ID_TOKEN_REQUEST_URL does; see `ciEnvironment`) and serves their JWKS at `/jwks`. With `hold()`, JWKS
 * requests wait until `release()`: a request being authenticated stays in flight as long as a test needs it to.
 */
export class OidcIssuer {
  readonly #server = createServer((request, response) => {
    if (request.url?.startsWith('/token?')) {
      const audience = new URL(request.url, this.origin).searchParams.get('audience');
      const authorized = request.headers.authorization === 'Bearer job-request-token';
      if (audience !== 'cavra' || !authorized) {
        response.writeHead(403).end();
        return;
      }
      this.tokensIssued += 1;
      void this.token().then((value) => response.end(JSON.stringify({ value })));
      return;
    }
    this.requests += 1;
    for (const arrived of this.#arrivals.splice(0)) arrived();
    if (this.#held) this.#waiting.push(response);
    else this.#serve(response);
  });
  #arrivals: (() => void)[] = [];
  #key: { privateKey: webcrypto.CryptoKey; jwk: JWK } | undefined;
  #held = false;
  #waiting: ServerResponse[] = [];
  /** JWKS requests seen. */
  requests = 0;
  /** Job tokens handed out at `/token`. */
  tokensIssued = 0;

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.#key = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' } };
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The daemon's `runner_auth.oidc` configuration for this issuer. */
  get config(): Record<string, unknown> {
    return {
      providers: [
        {
          provider: 'github-actions',
          issuer: this.origin,
          audience: 'cavra',
          jwks_uri: `${this.origin}/jwks`,
        },
      ],
      trust: { providers: ['github-actions'], repositories: ['acme/*'] },
    };
  }

  /** A GitHub Actions job's environment whose OIDC token and identity come from this issuer. */
  get ciEnvironment(): NodeJS.ProcessEnv {
    return {
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.origin}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'job-request-token',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: 'abc123',
      GITHUB_WORKFLOW: 'Release Governance',
      GITHUB_RUN_ID: '123456',
    };
  }

  /** A job token for IDENTITY, issued at `at` and valid for ten minutes. */
  token(at: Date = new Date()): Promise<string> {
    const now = Math.floor(at.getTime() / 1000);
    return new SignJWT({
      repository: 'acme/app',
      ref: 'refs/heads/main',
      sha: 'abc123',
      workflow: 'Release Governance',
      run_id: '123456',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(this.origin)
      .setAudience('cavra')
      .setSubject('repo:acme/app:ref:refs/heads/main')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(this.#key?.privateKey as webcrypto.CryptoKey);
  }

  /** An approver's ID token (audience `cavra`) naming `email` in `groups`, bound to a review key by `nonce`. */
  approverToken(
    claims: { email: string; groups: string[]; nonce: string },
    at: Date = new Date(),
  ): Promise<string> {
    const now = Math.floor(at.getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(this.origin)
      .setAudience('cavra')
      .setSubject(`user:${claims.email}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(this.#key?.privateKey as webcrypto.CryptoKey);
  }

  /** Resolves when the next JWKS request arrives. */
  nextRequest(): Promise<void> {
    return new Promise((resolve) => this.#arrivals.push(resolve));
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    for (const response of this.#waiting.splice(0)) this.#serve(response);
  }

  stop(): Promise<void> {
    this.release();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [this.#key?.jwk] }));
  }
}
