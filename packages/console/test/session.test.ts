import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import { HttpSession } from './support/http-session.js';

const running: RunningConsole[] = [];
afterEach(async () => {
  for (const console of running.splice(0)) await console.close();
});

async function consoleWith(options: Parameters<typeof startConsole>[0] = {}) {
  const started = await startConsole(options);
  running.push(started);
  return new HttpSession(started);
}

function rawGet(url: string, headers: Record<string, string>): Promise<[number, unknown]> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve([response.statusCode ?? 0, JSON.parse(body)]));
    })
      .on('error', reject)
      .end();
  });
}

describe('sign-in, session and CSRF', () => {
  it('listens on loopback and prints a URL with the login token in its fragment', async () => {
    const http = await consoleWith();
    expect(http.console.origin).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
    expect(http.console.url).toBe(`${http.console.origin}/#token=${http.console.token}`);
    expect(http.console.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves the page with a strict CSP and no third-party asset', async () => {
    const http = await consoleWith();
    const page = await http.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect([page.headers.get('x-content-type-options'), page.headers.get('referrer-policy')]).toEqual([
      'nosniff',
      'no-referrer',
    ]);
    const html = await page.text();
    expect(html.match(/(?:src|href)="[^"#]+"/g)).toEqual([
      'href="data:,"',
      'href="/console.css"',
      'src="/console.js"',
    ]);
    expect((await http.get('/console.js')).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
  });

  it('spends the login token once: a session cookie and a CSRF token, then 401 with a clear message', async () => {
    const http = await consoleWith();
    expect(await http.json(http.get('/api/me'))).toEqual([
      401,
      {
        error: {
          code: 'login_required',
          message: 'no session: sign in with the login token the console printed',
        },
      },
    ]);
    expect(await http.json(http.post('/api/session', { token: 'x'.repeat(43) }))).toEqual([
      401,
      {
        error: { code: 'login_token_invalid', message: 'the login token is not the one the console printed' },
      },
    ]);
    expect(await http.json(http.get('/api/session'))).toEqual([200, { signed_in: false }]);
    const signedIn = await http.signIn();
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toMatch(
      /^cavra_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    expect(http.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await http.json(http.get('/api/session'))).toEqual([200, { signed_in: true }]);
    const me = await http.json(http.get('/api/me'));
    expect(me).toEqual([
      200,
      {
        approver: null,
        csrf_token: http.csrf,
        can_sign: false,
        views: { approvals: false, evidence: false, replay: false, fleet: false },
      },
    ]);
    const again = new HttpSession(http.console);
    expect(await again.json(again.post('/api/session', { token: http.console.token }))).toEqual([
      401,
      {
        error: {
          code: 'login_token_spent',
          message: 'the login token was already used: restart cavra console for a new one',
        },
      },
    ]);
  });

  it('refuses a POST from another origin, without the CSRF token, or to another Host', async () => {
    const http = await consoleWith({ socketPath: '/nonexistent/d.sock', sign: async () => 'x' });
    expect(
      await http.json(
        http.post('/api/session', { token: http.console.token }, { origin: 'http://evil.example' }),
      ),
    ).toEqual([
      403,
      {
        error: {
          code: 'origin_refused',
          message: 'the request comes from another origin than the console’s',
        },
      },
    ]);
    await http.signIn();
    const review = { verdict: 'approve' };
    const refusal = async (headers: Record<string, string>) =>
      (await http.json(http.post('/api/approvals/d-1/review', review, headers)))[1];
    expect(await refusal({ origin: 'http://evil.example' })).toEqual({
      error: { code: 'origin_refused', message: 'the request comes from another origin than the console’s' },
    });
    expect(await refusal({ 'x-csrf-token': '' })).toEqual({
      error: { code: 'csrf_refused', message: 'the X-CSRF-Token header is missing or not this session’s' },
    });
    expect(
      await refusal({ 'x-csrf-token': `${http.csrf.slice(0, -1)}${http.csrf.endsWith('A') ? 'B' : 'A'}` }),
    ).toMatchObject({
      error: { code: 'csrf_refused' },
    });
    expect(await refusal({ cookie: '' })).toMatchObject({ error: { code: 'login_required' } });
    // fetch sets Host itself: a DNS-rebound page's request is made with node:http.
    expect(
      await rawGet(`${http.console.origin}/api/me`, { host: 'rebound.example', cookie: http.cookie }),
    ).toEqual([
      403,
      { error: { code: 'host_refused', message: 'the Host header is not the console’s address' } },
    ]);
  });

  it('refuses a body over 64 KiB and an unknown path with their codes', async () => {
    const http = await consoleWith();
    expect(await http.json(http.post('/api/session', { token: 'x'.repeat(70_000) }))).toEqual([
      413,
      { error: { code: 'body_too_large', message: 'the request body is larger than the console accepts' } },
    ]);
    await http.signIn();
    expect((await http.json(http.get('/api/nothing')))[1]).toEqual({
      error: { code: 'not_found', message: 'no such page or record' },
    });
    expect(await http.json(http.get('/api/fleet'))).toEqual([
      404,
      {
        error: {
          code: 'fleet_not_configured',
          message: 'the console was started without a NATS url (--nats)',
        },
      },
    ]);
  });

  it('refuses to listen beyond loopback without TLS', async () => {
    await expect(startConsole({ host: '0.0.0.0' })).rejects.toThrow(
      'listening on 0.0.0.0 needs TLS (a certificate and its key): loopback only without',
    );
  });

  it('serves HTTPS with --listen-style TLS: the certificate’s names are its origins, the cookie is Secure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvt-'));
    try {
      // A self-signed certificate for console.test and 127.0.0.1, made by openssl as an operator would.
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=console.test',
          '-addext',
          'subjectAltName=DNS:console.test,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'));
      const started = await startConsole({ tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
      running.push(started);
      const port = new URL(started.origin).port;
      expect(started.origin).toBe(`https://console.test:${port}`);
      const call = (host: string, path: string, method = 'GET', body?: string) =>
        new Promise<[number, string | undefined, unknown]>((resolve, reject) => {
          const origin = `https://${host}`;
          httpsRequest(
            {
              host: '127.0.0.1',
              port,
              path,
              method,
              ca: cert,
              servername: 'console.test',
              headers: { host, origin, 'content-type': 'application/json' },
            },
            (response) => {
              let text = '';
              response.on('data', (chunk) => {
                text += chunk;
              });
              response.on('end', () =>
                resolve([response.statusCode ?? 0, response.headers['set-cookie']?.[0], JSON.parse(text)]),
              );
            },
          )
            .on('error', reject)
            .end(body);
        });
      const [status, cookie] = await call(
        `console.test:${port}`,
        '/api/session',
        'POST',
        JSON.stringify({ token: started.token }),
      );
      expect([status, cookie]).toEqual([
        200,
        expect.stringMatching(
          /^cavra_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        ),
      ]);
      expect((await call(`127.0.0.1:${port}`, '/api/session'))[0]).toBe(200);
      expect((await call(`evil.example:${port}`, '/api/session')).slice(0, 1)).toEqual([403]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a wildcard address whose certificate names no host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvt-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=nameless',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
      await expect(startConsole({ host: '0.0.0.0', tls })).rejects.toThrow(
        'listening on 0.0.0.0 needs a certificate naming the host (subjectAltName)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
