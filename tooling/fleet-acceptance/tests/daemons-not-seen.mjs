// Destructive: kill -9 of the fleet's last two daemons; the status shows them not seen (heartbeats every 30 s; not
// seen after 33 s).
import { readFleetStatus } from '@cavra/fleet';
import { sleep } from '../wait.mjs';

export default {
  name: 'daemons-not-seen',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const killed = daemons.slice(-2);
    for (const daemon of killed) await ctx.stop(daemon, 'SIGKILL');
    await sleep(36_000);
    const status = await readFleetStatus(ctx.publisher, { notSeenAfterMs: 33_000 });
    const notSeen = new Set(status.daemons.filter((s) => !s.seen).map((s) => s.heartbeat.daemon_id));
    const right = daemons.every((d) => notSeen.has(d.daemonId) === killed.includes(d));
    ctx.report(
      'fleet status shows kill -9 daemons not seen',
      right,
      `${notSeen.size} not seen (expected ${killed.length})`,
    );
  },
};
