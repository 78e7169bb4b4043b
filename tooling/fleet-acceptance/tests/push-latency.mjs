// Push to every daemon, settings.trials times: from the moment the publisher's push returned (signed and stored R3)
// to the last daemon's own health naming the new revision. The push itself is reported beside it, and the daemons'
// own account of each activation (their `fleet: bundle checked` log lines) under it, phase by phase.
import { readFile } from 'node:fs/promises';
import { percentile } from '../wait.mjs';

export default {
  name: 'push-latency',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    await ctx.allOn(daemons, ctx.published, 60_000);
    const times = [];
    const pushes = [];
    const returnedAt = new Map();
    for (let trial = 0; trial < ctx.settings.trials; trial++) {
      const t0 = Date.now();
      const { revision } = await ctx.push();
      const t1 = Date.now();
      pushes.push(t1 - t0);
      returnedAt.set(revision, t1);
      try {
        await ctx.allOn(daemons, revision, 10_000);
        times.push(Date.now() - t1);
      } catch {
        times.push(Number.POSITIVE_INFINITY);
      }
    }
    const p50 = percentile(times, 50);
    const max = Math.max(...times);
    const reached = times.filter(Number.isFinite).length;
    ctx.report(
      `bundle push reaches all ${daemons.length} daemons`,
      reached === times.length,
      `${reached} of ${times.length} pushes active on every daemon within 10 s`,
    );
    ctx.target(
      `bundle push to ${daemons.length} daemons, ${times.length} trials`,
      p50 <= 500 && max <= 2000,
      `all active after the push returned: p50 ${p50} ms (≤ 500), max ${max} ms (≤ 2000); the push itself p50 ${percentile(pushes, 50)} ms, max ${Math.max(...pushes)} ms`,
    );
    ctx.note(await phases(daemons, returnedAt));
  },
};

/**
 * Per phase, over every activation of a trial's revision: wake (the push returned → the daemon's check began: the
 * watch's notice and any wait for the check before it), TUF refresh, bundle download, staging (write, fsync, load),
 * and the offer (evidence, active.json, swap).
 */
async function phases(daemons, returnedAt) {
  const rows = { wake: [], refresh: [], download: [], stage: [], offer: [] };
  for (const daemon of daemons) {
    const text = await readFile(daemon.logFile, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes('"fleet: bundle checked"')) continue;
      const entry = JSON.parse(line);
      const t1 = returnedAt.get(entry.revision);
      if (entry.outcome !== 'activated' || t1 === undefined) continue;
      rows.wake.push(Date.parse(entry.time) - entry.fetch_ms - entry.offer_ms - t1);
      rows.refresh.push(entry.refresh_ms);
      rows.download.push(entry.download_ms);
      rows.stage.push(entry.stage_ms);
      rows.offer.push(entry.offer_ms);
    }
  }
  const count = rows.wake.length;
  return `phases of ${count} activations, p50/max ms: ${Object.entries(rows)
    .map(([phase, values]) => `${phase} ${percentile(values, 50)}/${Math.max(...values)}`)
    .join(', ')}`;
}
