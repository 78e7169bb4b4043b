// Fleet status lists every daemon (their heartbeats) within 35 s of their start.
import { readFleetStatus } from '@cavra/fleet';
import { until } from '../wait.mjs';

export default {
  name: 'fleet-status',
  async run(ctx) {
    const { daemons, startedAt } = await ctx.fleet();
    const label = `fleet status lists all ${daemons.length}`;
    try {
      await until(
        'every daemon in the fleet status',
        async () => {
          const status = await readFleetStatus(ctx.publisher);
          return daemons.every((d) => status.daemons.some((s) => s.heartbeat.daemon_id === d.daemonId))
            ? true
            : undefined;
        },
        35_000 - (Date.now() - startedAt),
      );
      ctx.report(label, true, `${Date.now() - startedAt} ms after start (≤ 35 000)`);
    } catch (error) {
      ctx.report(label, false, error.message);
    }
  },
};
