import type { Hono } from 'hono';
import { ConsoleError } from './console-error.js';
import type { ConsoleOptions } from './console-options.js';
import { parseEvidenceQuery } from './evidence-filter.js';
import { receiptStatus } from './evidence-receipt-status.js';
import type { Bucket, EvidenceStore } from './evidence-store.js';
import { summarize } from './evidence-summary.js';
import type { ConsoleEnv } from './request-guard.js';

/** The evidence routes: the list, one record with its verification, the chain check, counts, and a replay. */
export function evidenceApi(
  app: Hono<ConsoleEnv>,
  options: ConsoleOptions,
  evidence: EvidenceStore | undefined,
) {
  const store = () => {
    if (!evidence) throw new ConsoleError('evidence_not_configured');
    return evidence;
  };

  app.get('/api/evidence', async (c) => c.json(await store().page(parseEvidenceQuery(c.req.query()))));

  app.get('/api/evidence/verification', async (c) => c.json(await store().verificationSummary()));

  // The central verifier's receipt for this log's daemon (fleet mode): checked against the key and this log.
  app.get('/api/evidence/receipt', async (c) => {
    const log = store();
    if (!options.fleet) throw new ConsoleError('fleet_not_configured');
    return c.json(await receiptStatus(log, options.fleet, options.receiptKey));
  });

  app.get('/api/evidence/counts', async (c) => {
    const bucket = c.req.query('bucket') ?? 'hour';
    if (bucket !== 'hour' && bucket !== 'day')
      throw new ConsoleError('invalid_filter', 'bucket: must be hour or day');
    return c.json({ bucket, buckets: await store().counts(bucket as Bucket) });
  });

  app.get('/api/evidence/:seq', async (c) => {
    const given = c.req.param('seq');
    if (!/^[1-9][0-9]{0,14}$/.test(given))
      throw new ConsoleError('invalid_request', 'seq must be a positive whole number');
    const seq = Number(given);
    const found = await store().record(seq);
    const chain = await store().verification();
    const problems = chain.problems.filter((problem) => problem.line === found.line);
    return c.json({
      seq,
      text: found.text,
      record: found.record,
      verification: { ok: problems.length === 0, chain_ok: chain.ok, problems },
    });
  });

  app.post('/api/replay', async (c) => {
    const body = (await c.req.json().catch(() => null)) as {
      pack?: unknown;
      since?: unknown;
      until?: unknown;
    } | null;
    if (typeof body?.pack !== 'string' || body.pack === '')
      throw new ConsoleError('invalid_request', 'pack: the path of a policy pack file is required');
    const range = parseEvidenceQuery({
      ...(typeof body.since === 'string' ? { since: body.since } : {}),
      ...(typeof body.until === 'string' ? { until: body.until } : {}),
    });
    const log = store();
    if (!options.replay) throw new ConsoleError('replay_not_configured');
    let outcome: Awaited<ReturnType<NonNullable<ConsoleOptions['replay']>>>;
    try {
      outcome = await options.replay({ pack: body.pack, evidenceLog: log.path });
    } catch (error) {
      throw new ConsoleError('replay_failed', (error as Error).message);
    }
    if (range.since === undefined && range.until === undefined) return c.json(outcome);
    // The range: the changes of records recorded in it (each looked up by its seq: changes are few).
    const inRange = [];
    for (const change of outcome.changed) {
      const time = Date.parse(summarize((await log.record(change.seq)).text)?.time ?? '');
      if (range.since !== undefined && !(time >= Date.parse(range.since))) continue;
      if (range.until !== undefined && !(time <= Date.parse(range.until))) continue;
      inRange.push(change);
    }
    return c.json({ ...outcome, changed: inRange });
  });
}
