// Decision latency, fleet mode on (follower and heartbeat running) vs off (the same pack from policy_packs).
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

async function measure(daemon) {
  const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 5000 });
  try {
    for (let i = 0; i < 200; i++) await client.evaluate(request);
    const times = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = process.hrtime.bigint();
      await client.evaluate(request);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    await client.close();
  }
}

export default {
  name: 'decision-latency',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const off = await ctx.daemonAt('plain', { fleet: false });
    await ctx.start(off);
    try {
      const offTimes = await measure(off);
      const onTimes = await measure(daemons[0]);
      const ratio = onTimes.p50 / offTimes.p50;
      ctx.report(
        'decision latency fleet on vs off',
        ratio <= 1.1,
        `p50 ${onTimes.p50.toFixed(3)} vs ${offTimes.p50.toFixed(3)} ms (${ratio.toFixed(2)}×, ≤ 1.1×), p99 ${onTimes.p99.toFixed(3)} vs ${offTimes.p99.toFixed(3)} ms`,
      );
    } finally {
      await ctx.stop(off);
    }
  },
};
