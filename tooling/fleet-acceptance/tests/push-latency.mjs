// Push to every daemon, settings.trials times: from the moment the publisher's push returned (signed and stored R3)
// to the last daemon's own health naming the new revision. The push itself is reported beside it.
import { percentile } from '../wait.mjs';

export default {
  name: 'push-latency',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    await ctx.allOn(daemons, ctx.published, 60_000);
    const times = [];
    const pushes = [];
    for (let trial = 0; trial < ctx.settings.trials; trial++) {
      const t0 = Date.now();
      const { revision } = await ctx.push();
      const t1 = Date.now();
      pushes.push(t1 - t0);
      try {
        await ctx.allOn(daemons, revision, 10_000);
        times.push(Date.now() - t1);
      } catch {
        times.push(Number.POSITIVE_INFINITY);
      }
    }
    const p50 = percentile(times, 50);
    const max = Math.max(...times);
    ctx.report(
      `bundle push to ${daemons.length} daemons, ${times.length} trials`,
      p50 <= 500 && max <= 2000,
      `all active after the push returned: p50 ${p50} ms (≤ 500), max ${max} ms (≤ 2000); the push itself p50 ${percentile(pushes, 50)} ms, max ${Math.max(...pushes)} ms`,
    );
  },
};
