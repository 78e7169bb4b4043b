/**
 * Latency per decision at pack sizes 10, 100, 1,000 and the largest pack the size limit allows, three ways:
 * - `evaluate`: the engine alone on validated requests;
 * - full path: request JSON text -> validated request (@cavra/contracts) -> decision -> DecisionResponse JSON text;
 * - Cedar (@cedar-policy/cedar-wasm) on the same rules, in its best realistic setup: policies parsed once
 *   (`preparsePolicySet`), one policy set per action type, called with `statefulIsAuthorized`.
 * Inputs: relative paths, rooted paths and plain commands (also given to Cedar), and shell-syntax commands
 * (compound commands and nested shells; CAVRA only, Cedar has no shell). Before timing, both engines must give
 * the same decision and rule on every shared input. Each decision is timed on its own; p50 and p99 are over all
 * of them, and the ratios (p50 at 1,000 rules / p50 at 10, CAVRA / Cedar) are the point, not the absolute times.
 *
 * Run: pnpm --filter @cavra/runtime bench (about 3 minutes on 2 cores). The script turns off V8's
 * `--turbo-inline-js-wasm-calls`: with it, Node 20.20 aborts ("Fatal error ... unreachable code" in the
 * deoptimizer) when the timing loop, optimised for the engine's calls, is deoptimised on Cedar's WebAssembly call.
 */
import { toDecisionResponse, toRuntimeRequest } from '@cavra/contracts';
import { getCedarVersion, preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { compilePolicyPack, createEngine, loadShellParser, parsePolicyPack } from '../src/index.js';
import {
  type BenchPackShape,
  benchPackShape,
  benchPackYaml,
  benchRequestFields,
  benchShellCommands,
  largestBenchPackShape,
} from './bench-pack.js';
import { fromCedarAnswer, toCedarCall, toCedarPolicies } from './cedar-translation.js';

const INPUTS = 2_000;
const SHELL_INPUTS = 700;
// Timed passes over the inputs (after one untimed warm-up pass); Cedar is slower, so it gets fewer.
const PASSES = 6;
const CEDAR_PASSES = 2;
// Cedar's cost grows with the pack (13 ms a call at the largest): it is timed on an evenly spread subset of the
// shared inputs, sized to about this many milliseconds per pack.
const CEDAR_BUDGET_MS = 4_000;

await loadShellParser();

// The engine's rule id names the rule kind; the list entry that matched (`commands.block[3]`) ends its reason.
const LIST_ENTRY = /([a-z_.]+\[\d+\])\)$/;

interface Row {
  readonly size: string;
  readonly rules: number;
  readonly figures: Record<string, { p50: number; p99: number }>;
  readonly mismatches: number;
}

/** Per-call latencies in µs of `decide` over every input, `passes` times after a warm-up pass. */
function latencies<T>(inputs: readonly T[], decide: (input: T) => unknown, passes: number): Float64Array {
  for (const input of inputs) decide(input);
  const samples = new Float64Array(inputs.length * passes);
  let at = 0;
  for (let pass = 0; pass < passes; pass += 1) {
    for (const input of inputs) {
      const start = performance.now();
      decide(input);
      samples[at++] = (performance.now() - start) * 1000;
    }
  }
  return samples.sort();
}

const percentiles = (samples: Float64Array) => ({
  p50: samples[Math.floor(samples.length * 0.5)] ?? 0,
  p99: samples[Math.floor(samples.length * 0.99)] ?? 0,
});

function benchSize(size: string, shape: BenchPackShape): Row {
  const pack = compilePolicyPack(parsePolicyPack(benchPackYaml(shape), { source: shape.id }));
  const rules = Object.values(pack.resolved)
    .flatMap((section) => Object.values(section))
    .filter(Array.isArray)
    .reduce((total, list) => total + list.length, 0);
  const engine = createEngine({ packs: [pack] });
  const relative = benchRequestFields(shape, INPUTS);
  const rooted = benchRequestFields(shape, INPUTS, { rooted: true }).filter(
    (request) => request.action_type === 'read_file' || request.action_type === 'write_file',
  );
  const shared = [...relative, ...rooted];
  const shell = benchShellCommands(shape, SHELL_INPUTS);
  const all = [...shared, ...shell];

  // One pre-parsed policy set per action type: a call only evaluates its own action's policies.
  const byAction = new Map<string, Record<string, string>>();
  for (const [id, text] of Object.entries(toCedarPolicies(pack))) {
    const action = /Action::"([a-z_]+)"/.exec(text)?.[1] as string;
    byAction.set(action, { ...byAction.get(action), [id]: text });
  }
  for (const [action, staticPolicies] of byAction) {
    const prepared = preparsePolicySet(`${shape.id}-${action}`, { staticPolicies });
    if (prepared.type !== 'success') throw new Error(JSON.stringify(prepared.errors));
  }

  const validated = all.map((fields) => toRuntimeRequest(fields));
  const texts = all.map((fields) => JSON.stringify(fields));
  const sharedValidated = validated.slice(0, shared.length);
  const cedar = (request: (typeof validated)[number]) =>
    fromCedarAnswer(
      request,
      statefulIsAuthorized({
        ...toCedarCall(request),
        preparsedPolicySetId: `${shape.id}-${request.actionType}`,
      }),
    );
  const full = (text: string) =>
    JSON.stringify(toDecisionResponse(engine.evaluate(toRuntimeRequest(JSON.parse(text)))));

  // Same decisions first: a fast engine that decides differently proves nothing.
  let mismatches = 0;
  for (const request of sharedValidated) {
    const decision = engine.evaluate(request);
    const ours = [decision.decision, LIST_ENTRY.exec(decision.reason)?.[1] ?? decision.ruleId];
    const theirs = cedar(request);
    if (theirs[0] !== ours[0] || theirs[1] !== ours[1]) {
      mismatches += 1;
      if (mismatches <= 5) {
        console.error(
          `${size}: mismatch on ${request.actionType} '${request.target}': cavra ${ours} cedar ${theirs}`,
        );
      }
    }
  }
  const split = <T>(items: readonly T[]) => ({
    relative: items.slice(0, relative.length),
    rooted: items.slice(relative.length, shared.length),
    shell: items.slice(shared.length),
  });
  const v = split(validated);
  const t = split(texts);
  const evaluate = (request: (typeof validated)[number]) => engine.evaluate(request);
  const probeStart = performance.now();
  for (const request of sharedValidated.slice(0, 50)) cedar(request);
  const cedarMs = (performance.now() - probeStart) / 50;
  const stride = Math.max(
    1,
    Math.ceil((sharedValidated.length * (CEDAR_PASSES + 1) * cedarMs) / CEDAR_BUDGET_MS),
  );
  const cedarInputs = sharedValidated.filter((_, index) => index % stride === 0);
  const figures = {
    'evaluate, all inputs': percentiles(latencies(validated, evaluate, PASSES)),
    'evaluate, relative paths+commands': percentiles(latencies(v.relative, evaluate, PASSES)),
    'evaluate, rooted paths': percentiles(latencies(v.rooted, evaluate, PASSES)),
    'evaluate, compound+nested shell': percentiles(latencies(v.shell, evaluate, PASSES)),
    'full path JSON->JSON, all inputs': percentiles(latencies(texts, full, PASSES)),
    'full path JSON->JSON, shared inputs': percentiles(latencies([...t.relative, ...t.rooted], full, PASSES)),
    'evaluate, shared inputs': percentiles(latencies(sharedValidated, evaluate, PASSES)),
    'cedar (pre-parsed, per action), shared inputs': percentiles(latencies(cedarInputs, cedar, CEDAR_PASSES)),
  };
  return { size, rules, figures, mismatches };
}

const sizes: [string, BenchPackShape][] = [
  ['10', benchPackShape(10)],
  ['100', benchPackShape(100)],
  ['1000', benchPackShape(1000)],
  ['largest', largestBenchPackShape()],
];
const rows = sizes.map(([size, shape]) => benchSize(size, shape));

const us = (value: number) => `${value.toFixed(1)} µs`.padStart(10);
console.log(
  `node ${process.version}, cedar ${getCedarVersion()}; each decision timed alone, p50 / p99 in µs`,
);
console.log(`pack rules: ${rows.map((row) => `${row.size} -> ${row.rules}`).join(', ')}`);
for (const name of Object.keys(rows[0]?.figures ?? {})) {
  console.log(`\n${name}`);
  for (const row of rows) {
    const figure = row.figures[name] as { p50: number; p99: number };
    console.log(`  ${`${row.rules} rules`.padEnd(12)} p50 ${us(figure.p50)}   p99 ${us(figure.p99)}`);
  }
}
const at = (size: string, name: string) =>
  rows.find((row) => row.size === size)?.figures[name]?.p50 ?? Number.NaN;
console.log('\nratios');
for (const name of Object.keys(rows[0]?.figures ?? {})) {
  console.log(`  p50@1000 / p50@10   ${(at('1000', name) / at('10', name)).toFixed(2)}x   ${name}`);
}
for (const row of rows) {
  const ours = row.figures['evaluate, shared inputs']?.p50 ?? Number.NaN;
  const fullPath = row.figures['full path JSON->JSON, shared inputs']?.p50 ?? Number.NaN;
  const theirs = row.figures['cedar (pre-parsed, per action), shared inputs']?.p50 ?? Number.NaN;
  console.log(
    `  ${`${row.rules} rules`.padEnd(12)} p50 cavra evaluate / cedar ${(ours / theirs).toFixed(3)}x, cavra full path / cedar ${(fullPath / theirs).toFixed(3)}x`,
  );
}
const mismatches = rows.reduce((total, row) => total + row.mismatches, 0);
console.log(
  `\nagreement: ${mismatches === 0 ? 'identical decisions and rule ids on every shared input at every size' : `${mismatches} MISMATCHES`}`,
);
if (mismatches > 0) process.exitCode = 1;
