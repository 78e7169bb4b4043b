/**
 * CPU time per call of the engine's hot parts, for this package's build and optionally another one (BENCH_BEFORE:
 * the path of another checkout's packages/runtime/dist), interleaved round by round in one process so that the
 * machine's load falls on both alike (process.cpuUsage, user + sys, median over rounds, the load printed):
 * - parse: parseCommand with no memo on every corpus command with shell syntax (the benign corpus and every evasion
 *   corpus's commands: those parseCommand hands to tree-sitter), beside tree-sitter's parse alone (parse and free
 *   the tree, nothing read from it), the floor under any reader of the tree;
 * - the daemon bench's eight request shapes through `evaluate` with the baseline pack, each on its own, the memo on
 *   as in the daemon;
 * - every corpus command through `evaluate`, a fresh memo per pass (what a session that repeats nothing costs).
 * Before timing anything it checks that both builds parse every corpus command alike (deep equality) and decide
 * every corpus command and shape alike (decision, policy, rule, severity, reason), and stops if one differs.
 *
 * Run (after `npx turbo run build --filter=@cavra/runtime`; about a minute per build):
 *   cd packages/runtime && BENCH_BEFORE=/path/to/before/packages/runtime/dist node bench/engine-cpu.bench.mjs
 * For an instruction count that load does not change (valgrind's callgrind counts every instruction run, in all
 * threads), run a fixed amount of work per build and subtract a run with none, so start-up cancels out:
 *   BENCH_WORK=parse BENCH_PASSES=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *     node bench/engine-cpu.bench.mjs <dist>
 *   BENCH_WORK=parse BENCH_PASSES=10 valgrind ... (the same)
 * The difference of the two "Collected" totals, divided by the passes × the inputs printed, is instructions per
 * call. BENCH_WORK=corpus does the same with `evaluate` over every corpus command (a fresh memo per pass),
 * BENCH_WORK=shapes over the eight shapes (the memo kept).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { toRuntimeRequest } from '@cavra/contracts';
import { Language, Parser } from 'web-tree-sitter';

const ROUNDS = 9;
const PARSE_PASSES = 40;
const SHAPE_CALLS = 4_000;
const CORPUS_PASSES = 4;

const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`;

const corpora = new URL('../test/corpora/', import.meta.url);
const read = (name) => JSON.parse(readFileSync(new URL(name, corpora), 'utf8'));
const commands = [
  ...new Set([
    ...read('benign.json').map((entry) => entry.command),
    ...readdirSync(corpora)
      .filter((name) => /^evasion.*\.json$/.test(name))
      .flatMap((name) =>
        read(name).flatMap((entry) =>
          entry.steps.filter(([type]) => type === 'execute_command').map(([, target]) => target),
        ),
      ),
  ]),
];
const request = (action_type, target) =>
  toRuntimeRequest({
    session_id: 'bench',
    agent_id: 'bench-agent',
    actor: 'bench@example.com',
    policy_pack: 'cavra-ai-agent-baseline',
    action_type,
    target,
    requested_operation: action_type === 'execute_command' ? target : '',
  });
// The daemon benches' shapes (packages/daemon/bench/shapes.ts).
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
const CORPUS = commands.map((command) => request('execute_command', command));

/** One build: its parseCommand and engine, with a way to swap its memo of parses. */
async function build(dist) {
  const runtime = await import(`${dist}/index.js`);
  const { replaceParseMemo } = await import(`${dist}/shell-parser.js`);
  const { ParseMemo, PARSE_MEMO_SIZE } = await import(`${dist}/parse-memo.js`);
  const engine = runtime.createEngine({ packs: [await runtime.loadBaselinePack()] });
  // The commands this build hands to tree-sitter: those its memo sees.
  const seen = new ParseMemo(1_000_000);
  const memo = replaceParseMemo(seen);
  const parsed = commands.filter((command) => {
    const before = seen.stats().misses;
    runtime.parseCommand(command);
    return seen.stats().misses > before;
  });
  replaceParseMemo(memo);
  const withoutMemo = (call) => (input) => {
    const previous = replaceParseMemo(undefined);
    try {
      return call(input);
    } finally {
      replaceParseMemo(previous);
    }
  };
  return {
    dist,
    parsed,
    parse: withoutMemo(runtime.parseCommand),
    evaluate: (input) => engine.evaluate(input),
    // A fresh memo, as a session starts with.
    freshMemo: () => replaceParseMemo(new ParseMemo(PARSE_MEMO_SIZE)),
  };
}

const judged = ({ decision, policyId, ruleId, severity, reason }) => ({
  decision,
  policyId,
  ruleId,
  severity,
  reason,
});

const after = await build(new URL('../dist', import.meta.url).pathname);
const passes = process.env.BENCH_PASSES;
if (passes !== undefined) {
  const dist = process.argv[2];
  const { parse, parsed, evaluate, freshMemo } = dist ? await build(dist) : after;
  const work = process.env.BENCH_WORK ?? 'parse';
  const inputs = { parse: parsed, corpus: CORPUS, shapes: SHAPES }[work];
  if (!inputs) throw new Error(`BENCH_WORK must be parse, corpus or shapes: ${work}`);
  for (let pass = 0; pass < Number(passes); pass += 1) {
    if (work === 'parse') for (const input of inputs) parse(input);
    else {
      // A session's memo starts empty; the shapes keep theirs, as the daemon keeps its memo.
      if (work === 'corpus') freshMemo();
      for (const input of inputs) evaluate(input);
    }
  }
  console.log(`${work}: ${Number(passes)} passes over ${inputs.length} inputs (${dist ?? after.dist})`);
  process.exit(0);
}

const builds = [after];
if (process.env.BENCH_BEFORE) {
  const before = await build(process.env.BENCH_BEFORE);
  const parses = commands.filter(
    (command) => !isDeepStrictEqual(before.parse(command), after.parse(command)),
  );
  const decisions = [...SHAPES, ...CORPUS].filter(
    (input) => !isDeepStrictEqual(judged(before.evaluate(input)), judged(after.evaluate(input))),
  );
  if (parses.length + decisions.length > 0) {
    console.error(
      `the builds differ: ${parses.length} parses (${JSON.stringify(parses[0])}), ${decisions.length} decisions (${JSON.stringify(decisions[0]?.target)})`,
    );
    process.exit(1);
  }
  console.log(
    `both builds parse all ${commands.length} corpus commands alike and decide them and the shapes alike`,
  );
  builds.unshift(before);
}

// tree-sitter's own parse of the same text, with a parser of its own: what no reader of the tree can go below.
await Parser.init();
const bash = await Language.load(
  createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm'),
);
const bare = new Parser();
bare.setLanguage(bash);
const parseOnly = (command) => bare.parse(command)?.delete();

const cpu = (run, calls) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Every row is one kind of call for one build: its inputs and how to time them once.
const rows = [];
for (const b of builds) {
  rows.push({
    name: `parse, no memo (${after.parsed.length} commands): ${b.dist}`,
    time: () =>
      cpu(() => {
        for (let pass = 0; pass < PARSE_PASSES; pass += 1)
          for (const command of after.parsed) b.parse(command);
      }, PARSE_PASSES * after.parsed.length),
  });
}
rows.push({
  name: 'parse: tree-sitter alone',
  time: () =>
    cpu(() => {
      for (let pass = 0; pass < PARSE_PASSES; pass += 1)
        for (const command of after.parsed) parseOnly(command);
    }, PARSE_PASSES * after.parsed.length),
});
for (const shape of SHAPES) {
  for (const b of builds) {
    rows.push({
      name: `evaluate ${shape.actionType} ${JSON.stringify(shape.target)}: ${b.dist}`,
      time: () =>
        cpu(() => {
          for (let call = 0; call < SHAPE_CALLS; call += 1) b.evaluate(shape);
        }, SHAPE_CALLS),
    });
  }
}
for (const b of builds) {
  rows.push({
    name: `evaluate every corpus command (${CORPUS.length}), a fresh memo per pass: ${b.dist}`,
    time: () =>
      cpu(() => {
        for (let pass = 0; pass < CORPUS_PASSES; pass += 1) {
          b.freshMemo();
          for (const input of CORPUS) b.evaluate(input);
        }
      }, CORPUS_PASSES * CORPUS.length),
  });
}

console.log(`${ROUNDS} rounds; ${load()}`);
const times = rows.map(() => []);
for (let round = 0; round < ROUNDS + 1; round += 1) {
  rows.forEach((row, index) => {
    const micros = row.time();
    // The first round warms every path up; it is not counted.
    if (round > 0) times[index].push(micros);
  });
}
rows.forEach((row, index) => {
  const values = times[index];
  console.log(
    `${median(values).toFixed(2).padStart(7)} µs CPU per call (min ${Math.min(...values).toFixed(2)}, max ${Math.max(...values).toFixed(2)}): ${row.name}`,
  );
});
console.log(load());
