/**
 * The headers of every answer. The page loads only its own script and style (no inline code, no third-party asset),
 * may not be framed, and sends no Referer (its URL held the login token for a moment).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** Largest request body accepted: a review or a filter is far smaller. */
export const MAX_BODY_BYTES = 64 * 1024;
