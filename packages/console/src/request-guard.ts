import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ConsoleError } from './console-error.js';
import type { LoginGate, Session } from './login-gate.js';

/** The hono environment of the console's routes: the request's session, once the guard found it. */
export type ConsoleEnv = { Variables: { session: Session } };

export const SESSION_COOKIE = 'cavra_console';

/**
 * Refuses what did not come from the console's own page: a Host that is not one of the console's addresses (DNS
 * rebinding), then on the API a request without a live session, and on every POST an Origin other than the page's
 * (the scheme and the Host asked for) and (once signed in) an X-CSRF-Token other than the session's. Signing in
 * (`POST /api/session`) needs the origin only.
 */
export function requestGuard(
  gate: LoginGate,
  origins: () => readonly string[],
): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const scheme = new URL(c.req.url).protocol;
    const own = `${scheme}//${c.req.header('host') ?? ''}`;
    if (!origins().includes(own)) throw new ConsoleError('host_refused');
    const post = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    if (post && c.req.header('origin') !== own) throw new ConsoleError('origin_refused');
    if (!c.req.path.startsWith('/api/') || c.req.path === '/api/session') return next();
    const session = gate.session(getCookie(c, SESSION_COOKIE));
    if (!session) throw new ConsoleError('login_required');
    if (post && !gate.csrfMatches(session, c.req.header('x-csrf-token')))
      throw new ConsoleError('csrf_refused');
    c.set('session', session);
    return next();
  };
}
