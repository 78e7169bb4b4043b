import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ConsoleError } from './console-error.js';

/** How long a session lasts: a working day, then sign in again (with a new console). */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/** A signed-in browser: its cookie value and the CSRF token its page sends on every POST. */
export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

const secret = () => randomBytes(32).toString('base64url');

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The console's one-time login token and the sessions it opened. The token is spent by its first good use, so a
 * URL seen later (history, a screenshot) opens nothing; sessions live in memory only and end with the console.
 */
export class LoginGate {
  readonly token = secret();
  #spent = false;
  readonly #sessions = new Map<string, Session>();

  /** Spends the login token for a new session; refuses a wrong token, and any token once spent. */
  signIn(given: string, now = Date.now()): Session {
    if (this.#spent) throw new ConsoleError('login_token_spent');
    if (!same(given, this.token)) throw new ConsoleError('login_token_invalid');
    this.#spent = true;
    const session = { id: secret(), csrf: secret(), expiresAt: now + SESSION_MS };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of this cookie value, if any: compared in constant time with each (a console has few). */
  session(cookie: string | undefined, now = Date.now()): Session | undefined {
    if (!cookie) return undefined;
    for (const session of this.#sessions.values()) {
      if (!same(cookie, session.id)) continue;
      if (session.expiresAt > now) return session;
      this.#sessions.delete(session.id);
    }
    return undefined;
  }

  /** Whether `given` is that session's CSRF token. */
  csrfMatches(session: Session, given: string | undefined): boolean {
    return given !== undefined && same(given, session.csrf);
  }
}
