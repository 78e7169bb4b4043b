import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { approvalsApi } from './approvals-api.js';
import { CONSOLE_ERRORS, ConsoleError } from './console-error.js';
import type { ConsoleOptions, RunningConsole } from './console-options.js';
import { evidenceApi } from './evidence-api.js';
import { EvidenceStore } from './evidence-store.js';
import { fleetApi } from './fleet-api.js';
import { LoginGate, SESSION_MS } from './login-gate.js';
import { loadPageFiles, PAGE_PATHS } from './page-files.js';
import { type ConsoleEnv, requestGuard, SESSION_COOKIE } from './request-guard.js';
import { MAX_BODY_BYTES, SECURITY_HEADERS } from './security-headers.js';

/** Addresses the console listens on without TLS: this machine only. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Addresses that are no address to open: the console is then reached by its certificate's names. */
const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * The host names the console answers to (the Host header a request must carry), the one to print first: with TLS,
 * the names and addresses its certificate is valid for (subjectAltName), then the listen address unless a wildcard.
 */
function consoleHosts(host: string, cert: string | Buffer | undefined): string[] {
  const named = cert
    ? (new X509Certificate(cert).subjectAltName ?? '')
        .split(', ')
        .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
        .filter((name): name is string => name !== undefined && !name.startsWith('*'))
    : [];
  const hosts = [...new Set([...named, ...(WILDCARD.has(host) ? [] : [host])])];
  if (hosts.length === 0)
    throw new ConsoleError(
      'invalid_request',
      `listening on ${host} needs a certificate naming the host (subjectAltName)`,
    );
  return hosts;
}

/**
 * Starts the console: a web page and its JSON API on `host:port` (default 127.0.0.1 and a free port), reading
 * approvals from the daemon at `socketPath`, the evidence log at `evidenceLog` and the fleet through `fleet`. Resolves
 * once it listens, with the URL to open (the one-time login token in its fragment). Rejects with a ConsoleError
 * (`invalid_request`) for a non-loopback host without TLS.
 */
export async function startConsole(options: ConsoleOptions = {}): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !options.tls)
    throw new ConsoleError(
      'invalid_request',
      `listening on ${host} needs TLS (a certificate and its key): loopback only without`,
    );
  // Checked before listening: a wildcard address needs names to be reached by (its certificate's).
  consoleHosts(host, options.tls?.cert);
  const page = await loadPageFiles();
  const gate = new LoginGate();
  const evidence = options.evidenceLog ? new EvidenceStore(options.evidenceLog, options.verify) : undefined;
  let origins: string[] = [];

  const app = new Hono<ConsoleEnv>();
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });
  app.use(requestGuard(gate, () => origins));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ConsoleError('body_too_large');
      },
    }),
  );
  for (const path of PAGE_PATHS) {
    const file = page.get(path) as { body: string; type: string };
    app.get(path, (c) => c.body(file.body, 200, { 'Content-Type': file.type }));
  }

  app.post('/api/session', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
    if (typeof body?.token !== 'string')
      throw new ConsoleError('invalid_request', 'token: the login token is required');
    const session = gate.signIn(body.token);
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: options.tls !== undefined,
      maxAge: SESSION_MS / 1000,
    });
    return c.json({ csrf_token: session.csrf, expires_at: new Date(session.expiresAt).toISOString() });
  });
  // Whether this browser has a live session: the page asks before anything else, so a signed-out load is no error.
  app.get('/api/session', (c) =>
    c.json({ signed_in: gate.session(getCookie(c, SESSION_COOKIE)) !== undefined }),
  );
  // The CSRF token is given to the page of a live session (a GET no other origin can read), so a reload keeps working.
  app.get('/api/me', (c) =>
    c.json({
      approver: options.approver ?? null,
      csrf_token: c.get('session').csrf,
      can_sign: options.approvalSource
        ? options.approvalSource.review !== undefined
        : options.sign !== undefined,
      views: {
        approvals: options.socketPath !== undefined || options.approvalSource !== undefined,
        evidence: evidence !== undefined,
        replay: evidence !== undefined && options.replay !== undefined,
        fleet: options.fleet !== undefined,
      },
    }),
  );
  approvalsApi(app, options, evidence);
  evidenceApi(app, options, evidence);
  fleetApi(app, options);

  app.notFound(() => {
    throw new ConsoleError('not_found');
  });
  app.onError((error, c) => {
    const known = error instanceof ConsoleError ? error : undefined;
    // An unexpected failure is told to the operator's terminal, never its details to the page.
    if (!known) process.stderr.write(`cavra console: ${error.stack ?? error.message}\n`);
    const refusal = known ?? new ConsoleError('internal_error');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    const { code, message, reason } = refusal;
    return c.json({ error: { code, message, ...(reason ? { reason } : {}) } }, CONSOLE_ERRORS[code].status);
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port: options.port ?? 0,
        ...(options.tls
          ? {
              createServer: createHttpsServer,
              serverOptions: { cert: options.tls.cert, key: options.tls.key },
            }
          : {}),
      },
      () => resolve(started),
    );
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  origins = consoleHosts(host, options.tls?.cert).map(
    (name) => `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}`,
  );
  const origin = origins[0] as string;
  return {
    url: `${origin}/#token=${gate.token}`,
    origin,
    token: gate.token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
