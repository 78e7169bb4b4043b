// Decision latency, fleet mode on (follower and heartbeat running) vs off (the same pack from policy_packs). The two
// daemons are measured in alternating rounds, so that the load of a shared machine weighs on both alike.
import { createClient } from '@cavra/daemon-client';
import { percentile } from '../wait.mjs';

const request = {
  session_id: 's',
  agent_id: 'a',
  actor: 'x@example.com',
  action_type: 'execute_command',
  target: 'ls',
  requested_operation: 'execute',
};
const WARM_UP = 200;
const ROUNDS = 10;
const PER_ROUND = 200;

async function timed(client, count, into) {
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await client.evaluate(request);
    into?.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}

export default {
  name: 'decision-latency',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const off = await ctx.daemonAt('plain', { fleet: false });
    await ctx.start(off);
    const on = createClient({ socketPath: daemons[0].socketPath, timeoutMs: 5000 });
    const plain = createClient({ socketPath: off.socketPath, timeoutMs: 5000 });
    try {
      await timed(on, WARM_UP);
      await timed(plain, WARM_UP);
      const onTimes = [];
      const offTimes = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [plain, on] : [on, plain];
        for (const client of order) await timed(client, PER_ROUND, client === on ? onTimes : offTimes);
      }
      const ratio = percentile(onTimes, 50) / percentile(offTimes, 50);
      ctx.target(
        'decision latency fleet on vs off',
        ratio <= 1.1,
        `p50 ${percentile(onTimes, 50).toFixed(3)} vs ${percentile(offTimes, 50).toFixed(3)} ms (${ratio.toFixed(2)}×, ≤ 1.1×), p99 ${percentile(onTimes, 99).toFixed(3)} vs ${percentile(offTimes, 99).toFixed(3)} ms, ${onTimes.length} requests each in ${ROUNDS} alternating rounds`,
      );
    } finally {
      await on.close();
      await plain.close();
      await ctx.stop(off);
    }
  },
};
