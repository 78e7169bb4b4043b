#!/usr/bin/env node
// Issues 22 and 23's Measure on one machine: a real 3-node NATS JetStream cluster (tooling/nats-cluster) and real daemon
// processes (the built cavra-daemon). One line per result (`ok`/`FAIL`) and per timing target (`met`/`MISS`), then
// `fleet-acceptance: N passed, M failed; timing targets: K met, L missed`. Exit 1 when a check failed, or a target was
// missed with FLEET_ACCEPTANCE_STRICT=1. Figures are what this machine measured; the thresholds are the issue's.
//   npm run fleet:acceptance                  (DAEMONS=20 TRIALS=20 WATCHERS=700 by default)
//   ONLY=push-latency,kv-watchers npm run fleet:acceptance      (only the tests of these names, in tests.mjs order)
//   FLEET_ACCEPTANCE_NIGHTLY=1 ONLY=evidence-outages npm run fleet:acceptance   (issue 23's 10 min variant)
//   FLEET_ACCEPTANCE_KEEP=1 ...   (after a failure the run's folder stays: the daemons' logs and the servers' stores)
import { createContext } from './context.mjs';
import { tests } from './tests.mjs';

const only = process.env.ONLY?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !tests.some((test) => test.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `fleet-acceptance: no test named ${unknown.join(', ')} (tests.mjs has ${tests.map((t) => t.name).join(', ')})\n`,
  );
  process.exit(2);
}

let ctx;
const results = [];
const targets = [];
// A failure no test awaited (a watcher's, say) ends the run, but never with the daemons and servers left running.
process.once('unhandledRejection', async (error) => {
  process.stdout.write(`FAIL unhandled rejection: ${error?.stack ?? String(error)}\n`);
  const keep = process.env.FLEET_ACCEPTANCE_KEEP === '1';
  await ctx?.close({ keep }).catch(() => undefined);
  if (keep && ctx) process.stdout.write(`kept: ${ctx.root} (FLEET_ACCEPTANCE_KEEP=1)\n`);
  process.exit(1);
});
try {
  ctx = await createContext();
  for (const test of tests.filter((t) => !only || only.includes(t.name))) {
    const before = ctx.results.length + ctx.targets.length;
    try {
      await test.run(ctx);
      if (ctx.results.length + ctx.targets.length === before)
        ctx.report(test.name, false, 'reported no result');
    } catch (error) {
      ctx.report(test.name, false, error.stack ?? String(error));
    }
  }
} catch (error) {
  results.push(false);
  process.stdout.write(`FAIL acceptance set-up: ${error.stack ?? String(error)}\n`);
} finally {
  if (ctx) {
    results.push(...ctx.results);
    targets.push(...ctx.targets);
  }
  const keep = process.env.FLEET_ACCEPTANCE_KEEP === '1' && !results.every(Boolean);
  await ctx?.close({ keep }).catch(() => undefined);
  if (keep && ctx) process.stdout.write(`kept: ${ctx.root} (FLEET_ACCEPTANCE_KEEP=1)\n`);
}
const passed = results.filter(Boolean).length;
const met = targets.filter(Boolean).length;
const strict = process.env.FLEET_ACCEPTANCE_STRICT === '1';
process.stdout.write(
  `fleet-acceptance: ${passed} passed, ${results.length - passed} failed; timing targets: ${met} met, ${targets.length - met} missed${strict ? ' (strict)' : ''}\n`,
);
process.exit(results.length === passed && (!strict || targets.length === met) ? 0 : 1);
