// The per-decision work this package does around the engine, in process, old path against new, interleaved rounds:
// the answer's JSON (codec: validate, protobufjs message, JSON; new: a plain object behind a structural guard), the
// evidence record (its body serialized, hashed) and the answer line (the decision serialized again; new: the
// record's text reused). CPU time (user + sys) per decision from process.cpuUsage, the machine's load printed: on a
// shared machine CPU time says more than wall time.
//   npx tsx bench/decision-path.ts [decisions per round]   (default 20000; 7 rounds)
import { loadavg } from 'node:os';
import { DecisionResponseCodec, type RuntimeDecision, toDecisionResponse } from '@cavra/contracts';
import { createEngine, loadBaselinePack } from '@cavra/runtime';
import { decisionJson } from '../src/decision-json.js';
import { type EvidenceBody, sealRecord } from '../src/evidence-record.js';
import { responseLine, SerializedBody } from '../src/protocol.js';

const perRound = Number(process.argv[2] ?? 20_000);
const engine = createEngine({ packs: [await loadBaselinePack()] });
const requests = [
  ['read_file', 'src/index.ts', 'read'],
  ['read_file', '/home/dev/app/.env', 'read'],
  ['write_file', '.github/workflows/ci.yml', 'write'],
  ['execute_command', 'npm test', 'npm test'],
  ['execute_command', 'git status && git diff HEAD~1 -- src', 'git status && git diff HEAD~1 -- src'],
  ['git_push', 'HEAD:refs/heads/feature/bench', 'push'],
].map(([actionType, target, operation]) => ({
  sessionId: 'bench',
  agentId: 'codex-agent',
  actor: 'developer@example.com',
  actionType: actionType as string,
  target: target as string,
  operation: operation as string,
  policyPack: 'cavra-ai-agent-baseline',
}));
const decisions: RuntimeDecision[] = requests.map((request) => engine.evaluate(request));
const ref = (seq: number) => `cavra-daemon-evidence://0123456789abcdef/${seq}`;

function record(decision: Record<string, unknown>, seq: number) {
  const stamped = { ...decision, evidence_refs: [...(decision.evidence_refs as string[]), ref(seq)] };
  const body: EvidenceBody = {
    seq,
    prev: '0'.repeat(64),
    recorded_at: '2026-11-25T10:00:00.000Z',
    decision: stamped,
    authentication: 'unauthenticated_local_agent',
    runner: null,
    release_governance: null,
  };
  return { stamped, body };
}

let sink = 0;
const paths = {
  before(decision: RuntimeDecision, seq: number) {
    const json = DecisionResponseCodec.toJSON(toDecisionResponse(decision), { emitDefaults: true });
    const { stamped, body } = record(json, seq);
    sink += sealRecord(body).line.length + responseLine(`f${seq}`, 'decision', stamped).length;
  },
  after(decision: RuntimeDecision, seq: number) {
    const { stamped, body } = record(decisionJson(decision), seq);
    const text = JSON.stringify(stamped);
    const line = responseLine(`f${seq}`, 'decision', new SerializedBody(stamped, text));
    sink += sealRecord(body, undefined, text).line.length + line.length;
  },
};

const round = (path: keyof typeof paths) => {
  const start = process.cpuUsage();
  for (let i = 0; i < perRound; i++) paths[path](decisions[i % decisions.length] as RuntimeDecision, i + 1);
  const used = process.cpuUsage(start);
  return { user: used.user / perRound, sys: used.system / perRound };
};
for (const path of ['before', 'after'] as const) round(path); // warm-up
const results = {
  before: [] as { user: number; sys: number }[],
  after: [] as { user: number; sys: number }[],
};
for (let i = 0; i < 7; i++) for (const path of ['before', 'after'] as const) results[path].push(round(path));
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
console.log(
  `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}; ${perRound} decisions x 7 rounds`,
);
for (const path of ['before', 'after'] as const) {
  const rows = results[path];
  console.log(
    `${path.padEnd(7)} CPU per decision: user ${median(rows.map((r) => r.user)).toFixed(2)} µs, sys ${median(rows.map((r) => r.sys)).toFixed(2)} µs, user+sys ${median(rows.map((r) => r.user + r.sys)).toFixed(2)} µs (rounds ${rows.map((r) => (r.user + r.sys).toFixed(1)).join(', ')})`,
  );
}
if (sink === 0) throw new Error('nothing measured');
