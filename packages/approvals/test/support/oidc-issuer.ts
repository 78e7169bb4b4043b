import type { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/** An OIDC issuer for tests: its JWKS served over HTTP on loopback at `/jwks`, and ID tokens signed with its key. */
export class OidcIssuer {
  readonly #server: Server;
  readonly #privateKey: webcrypto.CryptoKey;
  readonly url: string;

  private constructor(server: Server, privateKey: webcrypto.CryptoKey, url: string) {
    this.#server = server;
    this.#privateKey = privateKey;
    this.url = url;
  }

  static async start(): Promise<OidcIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'issuer-key-1', alg: 'RS256' }],
    });
    const server = createServer((request, response) => {
      if (request.url !== '/jwks') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new OidcIssuer(server, privateKey, `http://127.0.0.1:${port}`);
  }

  /** An ID token of this issuer with `claims` (iss, aud, iat, exp given by the caller). */
  idToken(claims: JWTPayload, key: webcrypto.CryptoKey = this.#privateKey): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'issuer-key-1', typ: 'JWT' })
      .sign(key);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
