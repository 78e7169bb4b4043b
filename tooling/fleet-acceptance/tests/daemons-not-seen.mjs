// Destructive: kill -9 of the fleet's last two daemons; the status shows them not seen (heartbeats every 30 s; not
// seen after 33 s without one) while every other daemon is still seen.
import { readFleetStatus } from '@cavra/fleet';
import { until } from '../wait.mjs';

const NOT_SEEN_AFTER_MS = 33_000;

export default {
  name: 'daemons-not-seen',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const killed = daemons.slice(-2);
    for (const daemon of killed) await ctx.stop(daemon, 'SIGKILL');
    const killedAt = Date.now();
    const label = 'fleet status shows kill -9 daemons not seen';
    let status;
    try {
      // Their last heartbeats are up to 30 s old when they die: not seen 3 to 33 s later.
      status = await until(
        'the killed daemons not seen',
        async () => {
          const read = await readFleetStatus(ctx.publisher, { notSeenAfterMs: NOT_SEEN_AFTER_MS });
          const notSeen = new Set(read.daemons.filter((s) => !s.seen).map((s) => s.heartbeat.daemon_id));
          return killed.every((d) => notSeen.has(d.daemonId)) ? read : undefined;
        },
        NOT_SEEN_AFTER_MS + 30_000,
        500,
      );
    } catch (error) {
      ctx.report(label, false, error.message);
      return;
    }
    const notSeen = new Set(status.daemons.filter((s) => !s.seen).map((s) => s.heartbeat.daemon_id));
    const right = daemons.every((d) => notSeen.has(d.daemonId) === killed.includes(d));
    ctx.report(
      label,
      right,
      `${notSeen.size} not seen (expected ${killed.length}) ${Date.now() - killedAt} ms after the kill (not seen after ${NOT_SEEN_AFTER_MS} ms without a heartbeat)`,
    );
  },
};
