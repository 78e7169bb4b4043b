/**
 * CPU time per decision of the engine with and without its memos keyed by exact command text (src/parse-memo.ts: the
 * shell parses, and the readings of commands of src/command-reading.ts), in process, on
 * the daemon bench's eight request shapes (two of them commands with shell syntax, which a bench repeats exactly) and
 * on the benign corpus (180 everyday commands, each once per pass: what repeats there is only what a long session
 * repeats). Rounds alternate without and with the memo, so load on the machine falls on both alike; each figure is
 * the median over rounds of user and system CPU time (process.cpuUsage) per decision, beside the machine's load.
 * Hit rates: parses count lookups of text with shell syntax (plain words never reach the parser nor its memo),
 * readings one lookup per command decided.
 *
 * Run: cd packages/runtime && npx tsx bench/parse-memo.bench.ts  (about 30 s)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';
import { createReadingMemo, replaceReadingMemo } from '../src/command-reading.js';
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

type Rate = { hits: number; lookups: number };
/** Which memos the engine has: none, the parses alone (as before the readings were kept), or both (as it runs). */
type Memos = 'none' | 'parses' | 'both';

/**
 * User and system µs per decision over `passes` passes of `inputs`, each pass with fresh memos (`memo`: which):
 * `passes` of 1 with many decisions is memos kept across the run, many passes of one corpus each memos that never
 * saw the corpus before (each command once).
 */
function cpuPerDecision(
  inputs: readonly RuntimeRequest[],
  decisionsPerPass: number,
  passes: number,
  memo: Memos,
): { user: number; system: number; parses: Rate; readings: Rate } {
  const parses = { hits: 0, lookups: 0 };
  const readings = { hits: 0, lookups: 0 };
  const count = (rate: Rate, stats: { hits: number; misses: number } | undefined) => {
    rate.hits += stats?.hits ?? 0;
    rate.lookups += (stats?.hits ?? 0) + (stats?.misses ?? 0);
  };
  const start = process.cpuUsage();
  for (let pass = 0; pass < passes; pass++) {
    const freshParses = memo !== 'none' ? new ParseMemo<ParsedCommand>(PARSE_MEMO_SIZE) : undefined;
    const freshReadings = memo === 'both' ? createReadingMemo() : undefined;
    replaceParseMemo(freshParses);
    replaceReadingMemo(freshReadings);
    for (let i = 0; i < decisionsPerPass; i++) engine.evaluate(inputs[i % inputs.length] as RuntimeRequest);
    count(parses, freshParses?.stats());
    count(readings, freshReadings?.stats());
  }
  const used = process.cpuUsage(start);
  const decisions = decisionsPerPass * passes;
  return { user: used.user / decisions, system: used.system / decisions, parses, readings };
}

console.log(`before: ${load()}`);
for (const [label, inputs, decisionsPerPass, passes] of [
  ['daemon bench shapes (8, repeated; one memo for the run)', SHAPES, DECISIONS, 1],
  ['benign corpus (180, each once; a fresh memo per pass)', BENIGN, BENIGN.length, 100],
] as const) {
  const runs: Record<Memos, ReturnType<typeof cpuPerDecision>[]> = { none: [], parses: [], both: [] };
  cpuPerDecision(inputs, decisionsPerPass, Math.max(1, passes / 4), 'none'); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const memos of ['none', 'parses', 'both'] as const)
      runs[memos].push(cpuPerDecision(inputs, decisionsPerPass, passes, memos));
  }
  const show = (runs: { user: number; system: number }[]) =>
    `${median(runs.map((r) => r.user)).toFixed(1)} user + ${median(runs.map((r) => r.system)).toFixed(1)} sys µs`;
  const rate = ({ hits, lookups }: Rate) =>
    `${hits} hits of ${lookups} lookups (${lookups === 0 ? 'n/a' : `${((hits / lookups) * 100).toFixed(1)} %`})`;
  const last = runs.both.at(-1) as ReturnType<typeof cpuPerDecision>;
  console.log(
    `${label}, per decision: no memo ${show(runs.none)}; parses kept ${show(runs.parses)}; parses and readings kept ${show(runs.both)}`,
  );
  console.log(`  in the last round: parses ${rate(last.parses)}; readings ${rate(last.readings)}`);
}
console.log(`after: ${load()}`);
