#!/usr/bin/env node
// The CAVRA daemon demo: `npm run demo` at the repository root, or `node demo.mjs` here. `--keep` keeps the temp dir.
import { decisionTable } from './lib/decision-table.mjs';
import { runDemo } from './lib/run-demo.mjs';

const { session, promotion, health, verification, dir } = await runDemo({
  keep: process.argv.includes('--keep'),
});
process.stdout.write(
  `CAVRA daemon ${health.version}, policy ${health.policy_digest}, mode ${health.mode}\n\n`,
);
process.stdout.write(decisionTable('An AI coding agent asks before it acts', session));
process.stdout.write('\n');
process.stdout.write(decisionTable('A release agent asks before it promotes v1.4.0 to stable', promotion));
process.stdout.write(
  `\nEvidence log: ${verification.records} records, ${verification.ok ? 'hash chain intact' : 'HASH CHAIN BROKEN'} (last hash ${verification.lastHash.slice(0, 16)}…)\n`,
);
if (process.argv.includes('--keep')) process.stdout.write(`Kept ${dir}\n`);
if (!verification.ok) process.exitCode = 1;
