import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A local OIDC issuer on loopback that stands in for a CI provider: it serves a JWKS, answers the providers'
 * token endpoints (GitHub's ACTIONS_ID_TOKEN_REQUEST_URL, Azure's SYSTEM_OIDCREQUESTURI) and mints tokens with
 * each provider's claims. For local runs and tests only.
 */
export class LocalOidcIssuer {
  #server;
  #key;
  #jwk;
  /** Claims of the job the issuer is pretending to run, per provider path. */
  jobs = new Map();

  static async start() {
    const issuer = new LocalOidcIssuer();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    issuer.#key = privateKey;
    issuer.#jwk = { ...(await exportJWK(publicKey)), kid: 'local-1', alg: 'RS256', use: 'sig' };
    issuer.#server = createServer((request, response) => issuer.#handle(request, response));
    await new Promise((resolve) => issuer.#server.listen(0, '127.0.0.1', resolve));
    return issuer;
  }

  get url() {
    return `http://127.0.0.1:${this.#server.address().port}`;
  }

  get jwksUri() {
    return `${this.url}/jwks`;
  }

  /** The issuer URL tokens of `provider` carry (a path per provider, so each one is configured like the real one). */
  issuer(provider) {
    return `${this.url}/${provider}`;
  }

  async mint(provider, claims, audience) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'local-1', typ: 'JWT' })
      .setIssuer(this.issuer(provider))
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(this.#key);
  }

  async stop() {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(request, response) {
    const url = new URL(request.url, this.url);
    const reply = (status, body) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/jwks') return reply(200, { keys: [this.#jwk] });
    const job = this.jobs.get(url.pathname);
    if (!job || request.headers.authorization !== `Bearer ${job.requestToken}`)
      return reply(401, { error: 'unauthorized' });
    if (url.pathname === '/github-actions/token') {
      return reply(200, {
        value: await this.mint('github-actions', job.claims, url.searchParams.get('audience')),
      });
    }
    if (url.pathname === '/azure-pipelines/oidctoken' && request.method === 'POST') {
      return reply(200, {
        oidcToken: await this.mint('azure-pipelines', job.claims, 'api://AzureADTokenExchange'),
      });
    }
    return reply(404, { error: 'not found' });
  }
}
