/**
 * CPU time per decision of the engine with and without the memo of shell parses (src/parse-memo.ts), in process, on
 * the daemon bench's eight request shapes (two of them commands with shell syntax, which a bench repeats exactly) and
 * on the benign corpus (180 everyday commands, each once per pass: what repeats there is only what a long session
 * repeats). Rounds alternate without and with the memo, so load on the machine falls on both alike; each figure is
 * the median over rounds of user and system CPU time (process.cpuUsage) per decision, beside the machine's load.
 * Hit rates count lookups of text with shell syntax (plain words never reach the parser nor the memo).
 *
 * Run: cd packages/runtime && npx tsx bench/parse-memo.bench.ts  (about 30 s)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, loadBaselinePack, type ParsedCommand } from '../src/index.js';
import { PARSE_MEMO_SIZE, ParseMemo } from '../src/parse-memo.js';
import { replaceParseMemo } from '../src/shell-parser.js';

const ROUNDS = 7;
const DECISIONS = 20_000;
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`;

const base = {
  session_id: 's',
  agent_id: 'a',
  actor: 'dev@example.com',
  policy_pack: 'cavra-ai-agent-baseline',
};
const request = (action_type: string, target: string): RuntimeRequest =>
  toRuntimeRequest({
    ...base,
    action_type,
    target,
    requested_operation: action_type === 'execute_command' ? target : '',
  });
const SHAPES = [
  request('read_file', 'src/index.ts'),
  request('read_file', '/home/dev/app/.env'),
  request('write_file', '.github/workflows/ci.yml'),
  request('write_file', 'src/components/button.tsx'),
  request('execute_command', 'npm test'),
  request('execute_command', 'git status && git diff HEAD~1 -- src'),
  request('execute_command', "bash -lc 'ls -la src'"),
  request('git_push', 'HEAD:refs/heads/feature/bench'),
];
const BENIGN = (
  JSON.parse(readFileSync(new URL('../test/corpora/benign.json', import.meta.url), 'utf8')) as {
    command: string;
  }[]
).map(({ command }) => request('execute_command', command));

const engine = createEngine({ packs: [await loadBaselinePack()] });
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * User and system µs per decision over `passes` passes of `inputs`, each pass with a fresh memo (`memo`) or none:
 * `passes` of 1 with many decisions is a memo kept across the run, many passes of one corpus each a memo that never
 * saw the corpus before (each command once).
 */
function cpuPerDecision(
  inputs: readonly RuntimeRequest[],
  decisionsPerPass: number,
  passes: number,
  memo: boolean,
): { user: number; system: number; hits: number; lookups: number } {
  let [hits, lookups] = [0, 0];
  const start = process.cpuUsage();
  for (let pass = 0; pass < passes; pass++) {
    const fresh = memo ? new ParseMemo<ParsedCommand>(PARSE_MEMO_SIZE) : undefined;
    replaceParseMemo(fresh);
    for (let i = 0; i < decisionsPerPass; i++) engine.evaluate(inputs[i % inputs.length] as RuntimeRequest);
    const stats = fresh?.stats();
    hits += stats?.hits ?? 0;
    lookups += (stats?.hits ?? 0) + (stats?.misses ?? 0);
  }
  const used = process.cpuUsage(start);
  const count = decisionsPerPass * passes;
  return { user: used.user / count, system: used.system / count, hits, lookups };
}

console.log(`before: ${load()}`);
for (const [label, inputs, decisionsPerPass, passes] of [
  ['daemon bench shapes (8, repeated; one memo for the run)', SHAPES, DECISIONS, 1],
  ['benign corpus (180, each once; a fresh memo per pass)', BENIGN, BENIGN.length, 100],
] as const) {
  const without: { user: number; system: number }[] = [];
  const withMemo: { user: number; system: number; hits: number; lookups: number }[] = [];
  cpuPerDecision(inputs, decisionsPerPass, Math.max(1, passes / 4), false); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    without.push(cpuPerDecision(inputs, decisionsPerPass, passes, false));
    withMemo.push(cpuPerDecision(inputs, decisionsPerPass, passes, true));
  }
  const show = (runs: { user: number; system: number }[]) =>
    `${median(runs.map((r) => r.user)).toFixed(1)} user + ${median(runs.map((r) => r.system)).toFixed(1)} sys µs`;
  const last = withMemo.at(-1) as { hits: number; lookups: number };
  console.log(`${label}: without the memo ${show(without)}, with it ${show(withMemo)} per decision`);
  console.log(
    `  memo: ${last.hits} hits of ${last.lookups} lookups (${((last.hits / last.lookups) * 100).toFixed(1)} %) in the last round`,
  );
}
console.log(`after: ${load()}`);
