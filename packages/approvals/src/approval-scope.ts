import { ApprovalError } from './approval-error.js';
import type { ApprovalRequest, ScopeKind } from './approval-model.js';
import { parseDuration } from './duration.js';

/** A parsed scope: its kind and, for `ttl`, its seconds. */
export interface Scope {
  readonly kind: ScopeKind;
  readonly ttlSeconds?: number;
  /** As written (`ttl:2h`). */
  readonly text: string;
}

/** Parses `once`, `session` or `ttl:<duration>`; anything else is `invalid_scope`. */
export function parseScope(text: string): Scope {
  if (text === 'once' || text === 'session') return { kind: text, text };
  if (text.startsWith('ttl:')) return { kind: 'ttl', ttlSeconds: parseDuration(text.slice(4)), text };
  throw new ApprovalError('invalid_scope');
}

/** Parses a review's scope and checks it against what the request allows (`invalid_scope` otherwise). */
export function allowedScope(text: string, request: ApprovalRequest): Scope {
  const scope = parseScope(text);
  if (!request.scopes.includes(scope.kind))
    throw new ApprovalError('invalid_scope', `this request allows the scopes ${request.scopes.join(', ')}`);
  if (scope.ttlSeconds !== undefined && scope.ttlSeconds > request.max_ttl_seconds) {
    throw new ApprovalError(
      'invalid_scope',
      `a ttl for this request is at most ${request.max_ttl_seconds} seconds`,
    );
  }
  return scope;
}

const RANK: Readonly<Record<ScopeKind, number>> = { once: 0, session: 1, ttl: 2 };

/** The narrower of two scopes: once < session < ttl, and the shorter of two ttls. */
export function narrowerScope(a: Scope, b: Scope): Scope {
  if (RANK[a.kind] !== RANK[b.kind]) return RANK[a.kind] < RANK[b.kind] ? a : b;
  return (a.ttlSeconds ?? 0) <= (b.ttlSeconds ?? 0) ? a : b;
}
