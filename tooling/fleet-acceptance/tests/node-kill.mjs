// kill -9 of one NATS node: a push still reaches every daemon. The node is restarted afterwards.
import { sleep } from '../wait.mjs';

export default {
  name: 'node-kill',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const label = 'push after kill -9 of one NATS node';
    await ctx.cluster.kill(1);
    try {
      await ctx.cluster.ready();
      const t0 = Date.now();
      // The streams of the killed node's leaders elect new ones: a push made meanwhile is tried again.
      let revision;
      for (let attempt = 0; revision === undefined; attempt++) {
        try {
          revision = (await ctx.push()).revision;
        } catch (error) {
          if (attempt >= 10) throw error;
          await sleep(1000);
        }
      }
      const pushed = Date.now();
      await ctx.allOn(daemons, revision, 60_000);
      ctx.report(
        label,
        true,
        `the push took ${pushed - t0} ms (retried while leaders were elected), then all ${daemons.length} active in ${Date.now() - pushed} ms`,
      );
    } catch (error) {
      ctx.report(label, false, error.message);
    } finally {
      await ctx.cluster.restart(1);
    }
  },
};
