// Decisions per second for a 200-rule pack, in-process, against the same policy written in Cedar and evaluated by
// @cedar-policy/cedar-wasm, in the same run. Run: pnpm --filter @cavra/runtime bench. Not a test.
//
// The pack: 100 blocked and 100 allowed command patterns (`<prefix> *`). The Cedar policy: one `forbid` per blocked
// pattern and one `permit` per allowed one, each `context.command == "<prefix>" || context.command like "<prefix> *"`
// (exactly our prefix rule). Cedar is default-deny and has no "require approval", so the two agree on this mapping:
// ours `allow` <=> Cedar `allow`; ours `block` or `require_approval` (no pattern matched) <=> Cedar `deny`.
import { performance } from 'node:perf_hooks';
import { toRuntimeRequest } from '@cavra/contracts';
import { preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { compilePolicyPack, createEngine, parsePolicyPack } from '../src/index.js';

const RULES = 200;
const SECONDS = 3;
const blocked = Array.from({ length: RULES / 2 }, (_, i) => `blocked-tool-${i}`);
const allowed = Array.from({ length: RULES / 2 }, (_, i) => `safe-tool-${i}`);

const pack = compilePolicyPack(
  parsePolicyPack(
    JSON.stringify({
      metadata: { id: 'bench-200', version: '1' },
      commands: { block: blocked.map((p) => `${p} *`), allow: allowed.map((p) => `${p} *`) },
    }),
    { format: 'json' },
  ),
);
const engine = createEngine({ packs: [pack], ids: () => 'id', clock: () => new Date(0) });

const cedarRule = (effect: string, prefix: string, index: number) =>
  `@id("${effect}-${index}") ${effect}(principal, action == Action::"execute_command", resource) when { context.command == "${prefix}" || context.command like "${prefix} *" };`;
const cedarPolicies = [
  ...blocked.map((p, i) => cedarRule('forbid', p, i)),
  ...allowed.map((p, i) => cedarRule('permit', p, i)),
].join('\n');
const parsed = preparsePolicySet('bench-200', { staticPolicies: cedarPolicies });
if (parsed.type !== 'success') throw new Error(`Cedar refused the policy: ${JSON.stringify(parsed)}`);

// A spread of inputs: early, late and unmatched patterns, bare prefixes and prefixes with arguments.
const commands = [
  ...[0, 37, 99].map((i) => `blocked-tool-${i} --force`),
  ...[0, 50, 99].map((i) => `safe-tool-${i} run build`),
  'safe-tool-7',
  'unknown-tool install',
  'blocked-tool-100 x',
  'safe-tool-1x',
];
const requests = commands.map((command) =>
  toRuntimeRequest({ action_type: 'execute_command', target: command, policy_pack: 'bench-200' }),
);
const cedarDecide = (command: string) => {
  const answer = statefulIsAuthorized({
    principal: { type: 'Agent', id: 'codex-agent' },
    action: { type: 'Action', id: 'execute_command' },
    resource: { type: 'Workspace', id: 'repo' },
    context: { command },
    preparsedPolicySetId: 'bench-200',
    entities: [],
  });
  if (answer.type !== 'success') throw new Error(JSON.stringify(answer));
  return answer.response.decision;
};

// Both must agree before their speed means anything.
commands.forEach((command, index) => {
  const ours = engine.evaluate(requests[index] as (typeof requests)[number]).decision;
  const cedar = cedarDecide(command);
  if ((ours === 'allow') !== (cedar === 'allow'))
    throw new Error(`disagree on ${command}: ${ours} vs ${cedar}`);
});

function rate(label: string, decide: (index: number) => unknown): number {
  for (let i = 0; i < 2000; i++) decide(i % commands.length);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    for (let i = 0; i < 100; i++) decide((count + i) % commands.length);
    count += 100;
  }
  const perSecond = count / ((performance.now() - start) / 1000);
  console.log(
    `${label.padEnd(52)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} decisions/s`,
  );
  return perSecond;
}

console.log(`${RULES} rules, ${commands.length} distinct inputs, decisions agree on all of them`);
const ours = rate('@cavra/runtime engine.evaluate (compiled pack)', (i) =>
  engine.evaluate(requests[i] as (typeof requests)[number]),
);
const cedar = rate('@cedar-policy/cedar-wasm statefulIsAuthorized (preparsed)', (i) =>
  cedarDecide(commands[i] as string),
);
console.log(`ratio @cavra/runtime / Cedar: ${(ours / cedar).toFixed(1)}x`);
