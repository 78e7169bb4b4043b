// Destructive, last: the whole cluster down. Restarted daemons decide with the last good revision; fresh daemons
// block (fleet.no_bundle).
import { percentile } from '../wait.mjs';

export default {
  name: 'cluster-down',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    const last = ctx.published;
    const running = daemons.filter((d) => d.child.exitCode === null && d.child.signalCode === null);
    await Promise.all(running.map((daemon) => ctx.stop(daemon)));
    for (const index of [0, 1, 2]) await ctx.cluster.kill(index);
    const restarted = running.slice(0, 10);
    const startTimes = [];
    for (const daemon of restarted) startTimes.push(await ctx.start(daemon));
    const decisions = await Promise.all(restarted.map((daemon) => ctx.decide(daemon, `cmd-${last} x`)));
    const good = decisions.filter((d) => d.decision === 'block' && d.policy_id === 'team').length;
    ctx.report(
      `cluster down: ${restarted.length} restarted daemons decide with the last good bundle`,
      good === restarted.length,
      `${good}/${restarted.length} blocked by revision ${last}'s rule; start p50 ${percentile(startTimes, 50)} ms, max ${Math.max(...startTimes)} ms`,
    );
    const fresh = [await ctx.daemonAt('fresh-1'), await ctx.daemonAt('fresh-2')];
    for (const daemon of fresh) await ctx.start(daemon);
    const answers = await Promise.all(fresh.map((daemon) => ctx.decide(daemon)));
    const blocked = answers.filter((d) => d.rule_id === 'fleet.no_bundle').length;
    ctx.report(
      'cluster down: fresh daemons block (fleet.no_bundle)',
      blocked === fresh.length,
      `${blocked}/${fresh.length}`,
    );
  },
};
