// settings.watchers KV watches of one key, all told of one put within 5 s.
import { until } from '../wait.mjs';

export default {
  name: 'kv-watchers',
  async run(ctx) {
    const bucket = ctx.publisher.bundleHeads;
    const count = ctx.settings.watchers;
    const told = new Array(count).fill(0);
    const watchers = [];
    try {
      for (let i = 0; i < count; i++) {
        const iterator = await bucket.watch({ key: 'acceptance-wake', include: 'updates' });
        watchers.push(iterator);
        void (async () => {
          for await (const _entry of iterator) told[i] = Date.now();
        })();
      }
      const t0 = Date.now();
      await bucket.put('acceptance-wake', JSON.stringify({ at: t0 }));
      let all;
      try {
        await until('every watcher', async () => (told.every((at) => at > 0) ? true : undefined), 10_000);
        all = Math.max(...told) - t0;
      } catch {
        all = Number.POSITIVE_INFINITY;
      }
      ctx.report(
        `${count} KV watchers notified`,
        Number.isFinite(all),
        `all within 10 s: ${Number.isFinite(all)}`,
      );
      ctx.target(`${count} KV watchers notified`, all <= 5000, `${all} ms (≤ 5 000)`);
    } finally {
      for (const iterator of watchers) iterator.stop();
      await bucket.delete('acceptance-wake').catch(() => undefined);
    }
  },
};
