// The acceptance tests, run in this order against one shared context (context.mjs). Register a test with one line:
// a module whose default export is { name, async run(ctx) } that calls ctx.report(label, pass, figures) per result.
// The destructive tests (they kill daemons, then the whole cluster) stay last: add yours above them.
import approvals from './tests/approvals.mjs';
import clusterDown from './tests/cluster-down.mjs';
import daemonsNotSeen from './tests/daemons-not-seen.mjs';
import decisionLatency from './tests/decision-latency.mjs';
import evidenceOutages from './tests/evidence-outages.mjs';
import fleetStatus from './tests/fleet-status.mjs';
import kvWatchers from './tests/kv-watchers.mjs';
import nodeKill from './tests/node-kill.mjs';
import pushLatency from './tests/push-latency.mjs';

export const tests = [
  fleetStatus,
  pushLatency,
  kvWatchers,
  nodeKill,
  decisionLatency,
  approvals,
  // ---- destructive, keep last ----
  daemonsNotSeen,
  evidenceOutages,
  clusterDown,
];
