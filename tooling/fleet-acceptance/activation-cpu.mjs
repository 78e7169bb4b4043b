#!/usr/bin/env node
// CPU per bundle activation, per daemon: DAEMONS fleet daemons (default 5) on the acceptance's 3-node cluster, TRIALS
// pushes (default 20), each until every daemon is active on it; prints the daemons' CPU (utime + stime from /proc, in
// 10 ms ticks) per activation, and the NATS servers' per push. Linux only. PROFILE_DIR=<folder> also writes each
// daemon's --cpu-prof there (the profiler slows them: compare profiles with profiles, not with the CPU figure).
//   node tooling/fleet-acceptance/activation-cpu.mjs            (after npx turbo run build --filter=@cavra/fleet-acceptance...)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createContext } from './context.mjs';
import { sleep } from './wait.mjs';

const daemonCount = Number(process.env.DAEMONS ?? 5);
const trials = Number(process.env.TRIALS ?? 20);
const profileDir = process.env.PROFILE_DIR;

/** A process's CPU so far, in ms (fields 14 and 15 of /proc/<pid>/stat, in ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const total = (pids) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

const ctx = await createContext();
try {
  const daemons = [];
  for (let i = 0; i < daemonCount; i++) daemons.push(await ctx.daemonAt(`cpu${i}`));
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  await Promise.all(daemons.map((daemon) => ctx.start(daemon, { nodeArgs })));
  await ctx.allOn(daemons, ctx.published, 60_000);
  // Past the start's own work (evidence, heartbeat, compiling the shipped packs).
  await sleep(1500);
  const daemonPids = daemons.map((daemon) => daemon.child.pid);
  const natsPids = ctx.cluster.nodes.map((node) => node.pid);
  const before = { daemons: total(daemonPids), nats: total(natsPids) };
  for (let trial = 0; trial < trials; trial++) {
    const { revision } = await ctx.push();
    // Asked every 150 ms, not every 20 as the acceptance does: the asking costs the daemons CPU too.
    for (;;) {
      const revisions = await Promise.all(daemons.map((daemon) => ctx.activeRevision(daemon)));
      if (revisions.every((r) => r === revision)) break;
      await sleep(150);
    }
  }
  await sleep(500);
  const perActivation = (total(daemonPids) - before.daemons) / daemonCount / trials;
  const natsPerPush = (total(natsPids) - before.nats) / trials;
  process.stdout.write(
    `${daemonCount} daemons, ${trials} pushes: CPU per activation per daemon ${perActivation.toFixed(1)} ms; NATS servers per push ${natsPerPush.toFixed(1)} ms [load ${loadavg()[0].toFixed(2)}]\n`,
  );
  if (profileDir) for (const daemon of daemons) await ctx.stop(daemon);
} finally {
  await ctx.close();
}
