import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import { writeEvidence } from './support/evidence-log.js';
import { HttpSession } from './support/http-session.js';

// A log of 30 000 records written by the daemon's own writer (one a minute from 2026-12-06T00:00Z; record n, 0-based,
// has seq n+1, decision allow, allow, block, warn by n % 4, agent codex-agent for even n, session-(n % 7)).
const RECORDS = 30_000;
const dir = mkdtempSync(join(tmpdir(), 'cve-'));
const log = join(dir, 'evidence.jsonl');
let console: RunningConsole;
let http: HttpSession;

beforeAll(async () => {
  await writeEvidence(log, RECORDS);
  console = await startConsole({ evidenceLog: log });
  http = new HttpSession(console);
  await http.signIn();
}, 120_000);
afterAll(async () => {
  await console?.close();
  await rm(dir, { recursive: true, force: true });
});

type Page = {
  records: { seq: number; agent: string; decision: string }[];
  next_before: number | null;
  total: number;
};
const page = async (query: string) => {
  const [status, body] = await http.json(http.get(`/api/evidence?${query}`));
  expect(status).toBe(200);
  return body as Page;
};

describe('the evidence list', () => {
  it('pages newest first by seq, each page read through the index', async () => {
    const first = await page('');
    expect(first.records.map((record) => record.seq)).toEqual(
      Array.from({ length: 50 }, (_, index) => RECORDS - index),
    );
    expect([first.next_before, first.total]).toEqual([RECORDS - 49, RECORDS]);
    const second = await page(`before=${first.next_before}&limit=500`);
    expect([second.records[0]?.seq, second.records[499]?.seq, second.next_before]).toEqual([
      RECORDS - 50,
      RECORDS - 549,
      RECORDS - 549,
    ]);
    const last = await page('before=3');
    expect([last.records.map((record) => record.seq), last.next_before]).toEqual([[2, 1], null]);
  });

  it('filters by field, time range and text; a rare match stops at the scan budget and says where to go on', async () => {
    const blocked = await page('decision=block&agent=codex-agent&limit=3');
    expect(blocked.records.map((record) => [record.seq, record.decision, record.agent])).toEqual([
      [29_999, 'block', 'codex-agent'],
      [29_995, 'block', 'codex-agent'],
      [29_991, 'block', 'codex-agent'],
    ]);
    const range = await page('since=2026-12-06T01:00:00Z&until=2026-12-06T01:02:00Z');
    expect(range.records.map((record) => record.seq)).toEqual([63, 62, 61]);
    const text = await page('q=npm%20run%20task-29998%22');
    expect(text.records.map((record) => record.seq)).toEqual([29_999]);
    // 20 000 lines looked at, none matched: the answer says to go on before the last line looked at.
    const none = await page('actor=nobody@example.com');
    expect([none.records, none.next_before]).toEqual([[], RECORDS - 20_000 + 1]);
    const rest = await page(`actor=nobody@example.com&before=${none.next_before}`);
    expect([rest.records, rest.next_before]).toEqual([[], null]);
  });

  it('refuses a malformed filter, naming the field', async () => {
    const refusal = async (query: string) => (await http.json(http.get(`/api/evidence?${query}`)))[1];
    expect(await refusal('since=yesterday')).toEqual({
      error: {
        code: 'invalid_filter',
        message: 'since: must be an RFC 3339 UTC time, e.g. 2026-12-06T08:00:00Z',
      },
    });
    expect(await refusal('limit=501')).toEqual({
      error: { code: 'invalid_filter', message: 'limit: must be a whole number from 1 to 500, not "501"' },
    });
    expect(await refusal('decision=maybe')).toEqual({
      error: {
        code: 'invalid_filter',
        message:
          'decision: must be one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
      },
    });
    expect(await refusal('colour=red')).toEqual({
      error: { code: 'invalid_filter', message: 'colour: is not a filter of the evidence list' },
    });
    expect((await http.json(http.get('/api/evidence/counts?bucket=week')))[1]).toEqual({
      error: { code: 'invalid_filter', message: 'bucket: must be hour or day' },
    });
  });

  it('shows one record as written with its verification, and counts decisions per hour', async () => {
    const [status, shown] = await http.json(http.get('/api/evidence/5'));
    expect(status).toBe(200);
    const lines = (await readFile(log, 'utf8')).split('\n');
    expect(shown).toEqual({
      seq: 5,
      text: lines[4],
      record: JSON.parse(lines[4] as string),
      verification: { ok: true, chain_ok: true, problems: [] },
    });
    expect((await http.json(http.get(`/api/evidence/${RECORDS + 1}`)))[0]).toBe(404);
    const [, counts] = await http.json(http.get('/api/evidence/counts?bucket=hour'));
    const buckets = (counts as { buckets: { start: string; decisions: Record<string, number> }[] }).buckets;
    expect(buckets.length).toBe(400);
    expect(buckets[0]).toEqual({
      start: '2026-12-10T04:00:00Z',
      decisions: { allow: 30, block: 15, warn: 15 },
      rules: { 'rule.allow': 30, 'rule.block': 15, 'rule.warn': 15 },
    });
    expect((await http.json(http.get('/api/evidence/verification')))[1]).toEqual({
      ok: true,
      records: RECORDS,
      tornTail: false,
      problems: [],
    });
  });

  it('sees records appended after the index was built, and flags a tampered log', async () => {
    await writeEvidence(log, 2, RECORDS);
    // Asked at once, the index and the counts take the two new records once each.
    const [pages, counts] = await Promise.all([
      Promise.all([page('limit=1'), page('limit=1'), page('limit=1')]),
      Promise.all([0, 1, 2].map(() => http.json(http.get('/api/evidence/counts?bucket=day')))),
    ]);
    expect(pages.map((answer) => [answer.total, answer.records[0]?.seq])).toEqual([
      [RECORDS + 2, RECORDS + 2],
      [RECORDS + 2, RECORDS + 2],
      [RECORDS + 2, RECORDS + 2],
    ]);
    const decided = (answer: [number, unknown]) =>
      (answer[1] as { buckets: { decisions: Record<string, number> }[] }).buckets
        .flatMap((bucket) => Object.values(bucket.decisions))
        .reduce((sum, count) => sum + count, 0);
    expect(counts.map(decided)).toEqual([RECORDS + 2, RECORDS + 2, RECORDS + 2]);
    const text = await readFile(log, 'utf8');
    await writeFile(log, text.replace('"target":"npm run task-1000"', '"target":"npm run task-1001"'));
    const [, chain] = await http.json(http.get('/api/evidence/verification'));
    expect(chain).toEqual({
      ok: false,
      records: RECORDS + 2,
      tornTail: false,
      problems: [
        { line: 1001, problem: 'hash_mismatch', message: 'record content does not match its hash (edited)' },
      ],
    });
    const [, record] = await http.json(http.get('/api/evidence/1001'));
    expect((record as { verification: unknown }).verification).toEqual({
      ok: false,
      chain_ok: false,
      problems: [
        { line: 1001, problem: 'hash_mismatch', message: 'record content does not match its hash (edited)' },
      ],
    });
  });
});
