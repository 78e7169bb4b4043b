/**
 * Decisions per second: the CAVRA engine on a 200-rule pack, against the same policy written in Cedar and
 * evaluated by @cedar-policy/cedar-wasm, in the same process and run. Cedar is measured twice: `isAuthorized`
 * (the policy set travels with every call and is parsed each time) and `statefulIsAuthorized` (the policy set
 * parsed once with `preparsePolicySet`), the fair comparison with a compiled pack.
 * Before timing, both sides must give the same decision and rule (list entry or default) on every bench input.
 *
 * Run: pnpm --filter @cavra/runtime bench
 */
import {
  getCedarVersion,
  isAuthorized,
  preparsePolicySet,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs';
import { compilePolicyPack, createEngine, loadShellParser, parsePolicyPack } from '../src/index.js';
import { benchPackYaml, benchRequests, benchShellCommands } from './bench-pack.js';
import { fromCedarAnswer, toCedarCall, toCedarPolicies } from './cedar-translation.js';

const INPUTS = 2_000;
const ROUNDS = 5;
const ROUND_MS = 600;

const pack = compilePolicyPack(parsePolicyPack(benchPackYaml(), { source: 'bench-200' }));
const ruleCount = Object.values(pack.resolved)
  .flatMap((section) => Object.values(section))
  .filter(Array.isArray)
  .reduce((total, list) => total + list.length, 0);
await loadShellParser();
const engine = createEngine({ packs: [pack] });
const requests = benchRequests(INPUTS);
const plainCommands = requests.filter((request) => request.actionType === 'execute_command');
const shellCommands = benchShellCommands(INPUTS);
const staticPolicies = toCedarPolicies(pack);
const policies = { staticPolicies };
const prepared = preparsePolicySet('bench-200', policies);
if (prepared.type !== 'success') throw new Error(JSON.stringify(prepared.errors));

// The engine's rule id names the rule kind; the list entry that matched (`commands.block[3]`) ends its reason.
const LIST_ENTRY = /([a-z_.]+\[\d+\])\)$/;
const cavra = (index: number) => {
  const decision = engine.evaluate(requests[index % INPUTS] as (typeof requests)[number]);
  return [decision.decision, LIST_ENTRY.exec(decision.reason)?.[1] ?? decision.ruleId] as const;
};
const cavraPlain = (index: number) =>
  engine.evaluate(plainCommands[index % plainCommands.length] as (typeof requests)[number]);
const cavraShell = (index: number) =>
  engine.evaluate(shellCommands[index % INPUTS] as (typeof requests)[number]);
const cedar = (index: number) => {
  const request = requests[index % INPUTS] as (typeof requests)[number];
  return fromCedarAnswer(request, isAuthorized({ ...toCedarCall(request), policies }));
};
const cedarPreparsed = (index: number) => {
  const request = requests[index % INPUTS] as (typeof requests)[number];
  return fromCedarAnswer(
    request,
    statefulIsAuthorized({ ...toCedarCall(request), preparsedPolicySetId: 'bench-200' }),
  );
};

// Same decisions first: a fast engine that decides differently proves nothing.
const tally = new Map<string, number>();
const rulesHit = new Set<string>();
let mismatches = 0;
requests.forEach((request, index) => {
  const ours = cavra(index);
  const theirs = [cedar(index), cedarPreparsed(index)];
  tally.set(ours[0], (tally.get(ours[0]) ?? 0) + 1);
  rulesHit.add(ours[1]);
  for (const answer of theirs) {
    if (answer[0] !== ours[0] || answer[1] !== ours[1]) {
      mismatches += 1;
      if (mismatches <= 5) {
        console.error(`mismatch on ${request.actionType} '${request.target}': cavra ${ours} cedar ${answer}`);
      }
    }
  }
});

/**
 * Median decisions per second over ROUNDS rounds of ROUND_MS each, after one warm-up round. The clock is read
 * every `batch` decisions: often enough for slow deciders, rarely enough not to weigh on fast ones.
 */
function measure(decide: (index: number) => unknown, batch: number): number {
  const rates: number[] = [];
  let index = 0;
  for (let round = 0; round <= ROUNDS; round += 1) {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ROUND_MS) * 1_000_000n;
    let done = 0;
    let now = start;
    while (now < deadline) {
      for (let step = 0; step < batch; step += 1) decide(index++);
      done += batch;
      now = process.hrtime.bigint();
    }
    if (round > 0) rates.push(done / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

const cavraRate = measure(cavra, 256);
const plainRate = measure(cavraPlain, 256);
const shellRate = measure(cavraShell, 16);
const cedarRate = measure(cedar, 1);
const preparsedRate = measure(cedarPreparsed, 8);
const format = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} decisions/s`;
const perDecision = (rate: number) => `${(1e6 / rate).toFixed(1)} µs per decision`;

console.log(
  `pack ${pack.id}: ${ruleCount} rules (${Object.keys(staticPolicies).length} Cedar policies), ${pack.digest}`,
);
console.log(
  `inputs: ${INPUTS} requests, decisions ${JSON.stringify(Object.fromEntries(tally))}, ${rulesHit.size} distinct rule ids`,
);
console.log(
  `agreement: ${mismatches === 0 ? 'identical decisions and rule ids on every input' : `${mismatches} MISMATCHES`}`,
);
console.log(
  `node ${process.version}, cedar ${getCedarVersion()}, median of ${ROUNDS} rounds x ${ROUND_MS} ms`,
);
console.log(`cavra engine                     ${format(cavraRate)}`);
console.log(
  `cavra, plain commands only       ${format(plainRate)}   ${perDecision(plainRate)} (${plainCommands.length} inputs)`,
);
console.log(
  `cavra, shell-syntax commands     ${format(shellRate)}   ${perDecision(shellRate)} (${INPUTS} inputs)`,
);
console.log(
  `cedar isAuthorized               ${format(cedarRate)}   ratio cavra/cedar ${(cavraRate / cedarRate).toFixed(1)}x`,
);
console.log(
  `cedar statefulIsAuthorized       ${format(preparsedRate)}   ratio cavra/cedar ${(cavraRate / preparsedRate).toFixed(1)}x`,
);
if (mismatches > 0) process.exitCode = 1;
