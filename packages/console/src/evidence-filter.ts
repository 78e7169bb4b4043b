import { DECISIONS, isRfc3339Utc } from '@cavra/contracts';
import { ConsoleError } from './console-error.js';
import type { EvidenceSummary } from './evidence-summary.js';

/** Largest page the API answers: a page is read in one go. */
const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
/** Longest text a filter field takes: every field names an identifier or a short text. */
const MAX_FIELD = 512;

/** The evidence list's query, checked. Text fields match exactly, except `q` (anywhere in the record's line). */
export interface EvidenceQuery {
  readonly limit: number;
  /** Only records before this seq (the previous page's `next_before`). */
  readonly before?: number;
  readonly session?: string;
  readonly agent?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly decision?: string;
  readonly rule?: string;
  readonly since?: string;
  readonly until?: string;
  readonly q?: string;
}

/** The summary fields a query field matches exactly. */
const EXACT = ['session', 'agent', 'actor', 'action', 'decision', 'rule'] as const;

const bad = (field: string, what: string) => new ConsoleError('invalid_filter', `${field}: ${what}`);

function whole(field: string, given: string, min: number, max: number): number {
  if (!/^[0-9]{1,15}$/.test(given) || Number(given) < min || Number(given) > max)
    throw bad(
      field,
      `must be a whole number from ${min} to ${max}, not ${JSON.stringify(given.slice(0, 40))}`,
    );
  return Number(given);
}

/** Checks the query parameters (each named in its refusal); unknown parameters are refused too. */
export function parseEvidenceQuery(params: Readonly<Record<string, string>>): EvidenceQuery {
  const query: Record<string, string | number> = { limit: DEFAULT_PAGE };
  for (const [field, given] of Object.entries(params)) {
    if (given === '') continue;
    if (given.length > MAX_FIELD) throw bad(field, `longer than ${MAX_FIELD} characters`);
    if (field === 'limit') query.limit = whole(field, given, 1, MAX_PAGE);
    else if (field === 'before') query.before = whole(field, given, 1, Number.MAX_SAFE_INTEGER);
    else if (field === 'since' || field === 'until') {
      if (!isRfc3339Utc(given)) throw bad(field, 'must be an RFC 3339 UTC time, e.g. 2026-12-06T08:00:00Z');
      query[field] = new Date(given).toISOString();
    } else if (field === 'decision') {
      if (!(DECISIONS as readonly string[]).includes(given))
        throw bad(field, `must be one of ${DECISIONS.join(', ')}`);
      query.decision = given;
    } else if ((EXACT as readonly string[]).includes(field) || field === 'q') query[field] = given;
    else throw bad(field, 'is not a filter of the evidence list');
  }
  return query as unknown as EvidenceQuery;
}

/** Whether a record (its summary and line) passes the query's filters. */
export function matches(query: EvidenceQuery, summary: EvidenceSummary, line: string): boolean {
  for (const field of EXACT) {
    const wanted = query[field];
    if (wanted !== undefined && summary[field] !== wanted) return false;
  }
  if (query.since !== undefined || query.until !== undefined) {
    const time = Date.parse(summary.time);
    if (Number.isNaN(time)) return false;
    if (query.since !== undefined && time < Date.parse(query.since)) return false;
    if (query.until !== undefined && time > Date.parse(query.until)) return false;
  }
  return query.q === undefined || line.includes(query.q);
}
