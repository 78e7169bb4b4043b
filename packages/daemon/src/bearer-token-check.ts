/**
 * Whether a record holds an approver's OIDC ID token: a bearer credential until it expires, which the evidence must
 * never keep (an OIDC review is recorded with the token's hash and claims). Where it could hide: an
 * `approval_reviewed` event's review, as a token field or inside a JWS whose protected header carries it.
 */
export function holdsBearerToken(record: Readonly<Record<string, unknown>>): boolean {
  const event = record.event as { type?: unknown; review?: Record<string, unknown> } | undefined;
  if (event?.type !== 'approval_reviewed' || typeof event.review !== 'object' || event.review === null)
    return false;
  const { id_token: idToken, jws } = event.review;
  if (typeof idToken === 'string') return true;
  if (typeof jws !== 'string') return false;
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'cavra_id_token' in header;
  } catch {
    return false;
  }
}
