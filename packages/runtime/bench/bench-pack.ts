import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';

/** How many entries each list of a bench pack holds: every rule kind, in the proportions of the 200-rule pack. */
export interface BenchPackShape {
  readonly id: string;
  readonly secrets: number;
  readonly keys: number;
  readonly locked: number;
  readonly gated: number;
  readonly allow: number;
  readonly block: number;
  readonly approval: number;
  readonly branches: number;
}

/** The shape of a pack of about `rules` rules (at least one entry per list). */
export function benchPackShape(rules: number): BenchPackShape {
  const share = (part: number) => Math.max(1, Math.round((rules * part) / 200));
  return {
    id: `bench-${rules}`,
    secrets: share(20),
    keys: share(20),
    locked: share(30),
    gated: share(30),
    allow: share(40),
    block: share(30),
    approval: share(20),
    branches: share(4),
  };
}

/** A pack exercising every rule kind: glob paths, exact and prefix commands, branch globs, MCP servers. */
export function benchPackYaml(shape: BenchPackShape = benchPackShape(200)): string {
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const range = (count: number, make: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => make(i));
  return [
    `metadata: {id: ${shape.id}, version: "1.0.0", approver_group: bench-reviewers}`,
    'filesystem:',
    `  block_read: ${list([...range(shape.secrets, (i) => `secrets-${i}/**`), ...range(shape.keys, (i) => `**/*.key${i}`)])}`,
    `  block_write: ${list(range(shape.locked, (i) => `locked-${i}/**`))}`,
    `  require_approval_write: ${list(range(shape.gated, (i) => `gated-${i}/**`))}`,
    'commands:',
    `  allow: ${list(range(shape.allow, (i) => (i % 2 === 0 ? `tool-${i} *` : `check-${i}`)))}`,
    `  block: ${list(range(shape.block, (i) => `danger-${i} *`))}`,
    `  require_approval: ${list(range(shape.approval, (i) => `deploy-${i} *`))}`,
    'git:',
    `  block_push_branches: ${list(['main', ...range(shape.branches, (i) => `release-${i}/*`)])}`,
    '  require_pull_request: false',
    'mcp:',
    '  allowlist_enabled: true',
    `  allowed_servers: ${list(['srv-0', 'srv-1', 'srv-2'])}`,
    `  blocked_servers: ${list(['bad-0', 'bad-1'])}`,
    '',
  ].join('\n');
}

/**
 * The largest legal pack of this kind: every list at the schema's 1,024-entry limit (block_read shared between its
 * two kinds, block_push_branches holding `main` too), far below the 1 MiB size limit.
 */
export function largestBenchPackShape(): BenchPackShape {
  const most = 1024;
  return {
    id: 'bench-largest',
    secrets: most / 2,
    keys: most / 2,
    locked: most,
    gated: most,
    allow: most,
    block: most,
    approval: most,
    branches: most - 1,
  };
}

/** What a bench request is made of before it is validated: the EvaluateRequest JSON fields. */
export type BenchRequestFields = Record<string, string>;

/** Seeded, so every run judges the same inputs. */
function seeded(seed: number) {
  let state = seed;
  return (bound: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % bound;
  };
}

const fields = (shape: BenchPackShape, actionType: string, target: string): BenchRequestFields => ({
  session_id: 'bench',
  agent_id: 'bench-agent',
  actor: 'bench@example.com',
  action_type: actionType,
  target,
  requested_operation: actionType === 'execute_command' ? target : 'apply',
  policy_pack: shape.id,
});

/**
 * Requests spread over every action type, hitting rules of every kind, both ends of each list (and a little past
 * them) and each pack default. With `rooted`, file targets are absolute paths under a checkout
 * (`/home/dev/repo/secrets-3/db/1.txt`), which the engine matches at every ancestor.
 */
export function benchRequestFields(
  shape: BenchPackShape,
  count: number,
  options: { readonly rooted?: boolean } = {},
): BenchRequestFields[] {
  const next = seeded(0x2545f491);
  const over = (size: number) => next(size + Math.max(2, Math.ceil(size / 5)));
  const file = (path: string) => (options.rooted ? `/home/dev/repo/${path}` : path);
  const makers: readonly (() => readonly [string, string])[] = [
    () => ['read_file', file(`secrets-${over(shape.secrets)}/db/${next(100)}.txt`)],
    () => ['read_file', file(`src/m${next(50)}/file.key${over(shape.keys)}`)],
    () => ['read_file', file(`src/app${next(100)}.ts`)],
    () => ['write_file', file(`locked-${over(shape.locked)}/out/${next(100)}.bin`)],
    () => ['write_file', file(`gated-${over(shape.gated)}/conf.yaml`)],
    () => ['write_file', file(`src/z${next(100)}.ts`)],
    () => ['execute_command', `tool-${over(shape.allow)} run ${next(100)}`],
    () => ['execute_command', `check-${over(shape.allow)}`],
    () => ['execute_command', `danger-${over(shape.block)} --now`],
    () => ['execute_command', `deploy-${over(shape.approval)} prod`],
    () => ['execute_command', `unknown-${next(100)} --flag`],
    () => ['git_push', next(4) === 0 ? 'main' : `release-${over(shape.branches)}/1.${next(9)}`],
    () => ['git_push', `feature/f${next(100)}`],
    () => ['mcp_tool_call', `srv-${next(4)}/search`],
    () => ['mcp_tool_call', `bad-${next(3)}/exec`],
  ];
  return Array.from({ length: count }, () => {
    const [actionType, target] = makers[next(makers.length)]?.() ?? ['read_file', 'README.md'];
    return fields(shape, actionType, target);
  });
}

/** Validated requests: `benchRequestFields` read by @cavra/contracts. */
export function benchRequests(
  shape: BenchPackShape,
  count: number,
  options: { readonly rooted?: boolean } = {},
): RuntimeRequest[] {
  return benchRequestFields(shape, count, options).map((request) => toRuntimeRequest(request));
}

/**
 * Commands written with shell syntax (quotes, pipes, lists, redirections, assignments, substitutions) over the
 * same pack: what a command costs when it has to be parsed. Not part of the Cedar comparison, which has no shell.
 */
export function benchShellCommands(shape: BenchPackShape, count: number): BenchRequestFields[] {
  const a = (i: number) => i % (shape.allow + 4);
  const makers: readonly ((i: number) => string)[] = [
    (i) => `tool-${a(i)} run --grep="a;b" | check-${a(i + 1)}`,
    (i) => `tool-${a(i)} run 'x y' && tool-${a(i + 2)} run 2>&1`,
    (i) => `FOO=1 check-${a(i)}; danger-${i % (shape.block + 4)} --now`,
    (i) => `tool-${a(i)} run "$(deploy-${i % (shape.approval + 4)} prod)"`,
    (i) => `(cd src && tool-${a(i)} run) > out-${i}.log`,
    // Nested shells: the engine reads the inner command too.
    (i) => `bash -c "tool-${a(i)} run && sh -c 'danger-${i % (shape.block + 4)} --now'"`,
    (i) => `sh -c 'check-${a(i)} | tool-${a(i + 3)} run'`,
  ];
  return Array.from({ length: count }, (_, i) =>
    fields(shape, 'execute_command', (makers[i % makers.length] as (i: number) => string)(i)),
  );
}
