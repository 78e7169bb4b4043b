import type { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: webcrypto.CryptoKey;
  readonly jwk: JWK;
}

export async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * How the server answers: the key set; nothing at all; headers and half the body, then nothing; a key set padded to
 * `padBytes` sent with its length declared, or in chunks without one; or an HTTP 500.
 */
export type JwksBehaviour = 'serve' | 'hang' | 'stall' | 'oversized-declared' | 'oversized-chunked' | 'error';

/**
 * A JWKS served over HTTP on loopback at `/jwks` and at the paths the provider profiles derive from an issuer
 * (`<issuer>/.well-known/jwks`, `<issuer>/oauth/discovery/keys`), with the published keys swappable (rotation), the
 * behaviour switchable, and the requested paths recorded.
 */
export class JwksServer {
  keys: SigningKey[];
  behaviour: JwksBehaviour = 'serve';
  padBytes = 0;
  readonly paths: string[] = [];
  readonly #server: Server;

  private constructor(keys: SigningKey[]) {
    this.keys = keys;
    this.#server = createServer((request, response) => {
      this.paths.push(request.url ?? '');
      if (!/(\/jwks|\/oauth\/discovery\/keys)$/.test(request.url ?? '')) {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.stringify({
        keys: this.keys.map((key) => key.jwk),
        ...(this.padBytes ? { padding: 'x'.repeat(this.padBytes) } : {}),
      });
      switch (this.behaviour) {
        case 'hang':
          return;
        case 'stall':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.write(body.slice(0, body.length / 2));
          return;
        case 'error':
          response.writeHead(500).end();
          return;
        case 'oversized-chunked':
          response.writeHead(200, { 'content-type': 'application/json' });
          for (let at = 0; at < body.length; at += 256) response.write(body.slice(at, at + 256));
          response.end();
          return;
        default:
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
      }
    });
  }

  get requests(): number {
    return this.paths.length;
  }

  /** The server's base URL, usable as a self-hosted issuer. */
  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  static async start(keys: SigningKey[]): Promise<JwksServer> {
    const server = new JwksServer(keys);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get jwksUri(): string {
    return `${this.origin}/jwks`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export async function mint(
  key: SigningKey,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}
