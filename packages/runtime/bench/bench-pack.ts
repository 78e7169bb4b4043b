import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';

/** A 200-rule pack exercising every rule kind: glob paths, exact and prefix commands, branch globs, MCP servers. */
export function benchPackYaml(): string {
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const range = (count: number, make: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => make(i));
  return [
    'metadata: {id: bench-200, version: "1.0.0", approver_group: bench-reviewers}',
    'filesystem:',
    `  block_read: ${list([...range(20, (i) => `secrets-${i}/**`), ...range(20, (i) => `**/*.key${i}`)])}`,
    `  block_write: ${list(range(30, (i) => `locked-${i}/**`))}`,
    `  require_approval_write: ${list(range(30, (i) => `gated-${i}/**`))}`,
    'commands:',
    `  allow: ${list(range(40, (i) => (i % 2 === 0 ? `tool-${i} *` : `check-${i}`)))}`,
    `  block: ${list(range(30, (i) => `danger-${i} *`))}`,
    `  require_approval: ${list(range(20, (i) => `deploy-${i} *`))}`,
    'git:',
    `  block_push_branches: ${list(['main', ...range(4, (i) => `release-${i}/*`)])}`,
    '  require_pull_request: false',
    'mcp:',
    '  allowlist_enabled: true',
    `  allowed_servers: ${list(['srv-0', 'srv-1', 'srv-2'])}`,
    `  blocked_servers: ${list(['bad-0', 'bad-1'])}`,
    '',
  ].join('\n');
}

/**
 * Deterministic requests spread over every action type, hitting rules of every kind, both ends of each list
 * and each pack default (a fixed-seed generator, so every run judges the same inputs).
 */
export function benchRequests(count: number): RuntimeRequest[] {
  let seed = 0x2545f491;
  const next = (bound: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % bound;
  };
  const makers: readonly (() => readonly [string, string])[] = [
    () => ['read_file', `secrets-${next(30)}/db/${next(100)}.txt`],
    () => ['read_file', `src/m${next(50)}/file.key${next(50)}`],
    () => ['read_file', `src/app${next(100)}.ts`],
    () => ['write_file', `locked-${next(40)}/out/${next(100)}.bin`],
    () => ['write_file', `gated-${next(40)}/conf.yaml`],
    () => ['write_file', `src/z${next(100)}.ts`],
    () => ['execute_command', `tool-${next(44)} run ${next(100)}`],
    () => ['execute_command', `check-${next(44)}`],
    () => ['execute_command', `danger-${next(34)} --now`],
    () => ['execute_command', `deploy-${next(24)} prod`],
    () => ['execute_command', `unknown-${next(100)} --flag`],
    () => ['git_push', next(4) === 0 ? 'main' : `release-${next(6)}/1.${next(9)}`],
    () => ['git_push', `feature/f${next(100)}`],
    () => ['mcp_tool_call', `srv-${next(4)}/search`],
    () => ['mcp_tool_call', `bad-${next(3)}/exec`],
  ];
  return Array.from({ length: count }, () => {
    const [actionType, target] = makers[next(makers.length)]?.() ?? ['read_file', 'README.md'];
    return toRuntimeRequest({
      session_id: 'bench',
      agent_id: 'bench-agent',
      actor: 'bench@example.com',
      action_type: actionType,
      target,
      requested_operation: actionType === 'execute_command' ? target : 'apply',
      policy_pack: 'bench-200',
    });
  });
}

/**
 * Commands written with shell syntax (quotes, pipes, lists, redirections, assignments, substitutions) over the
 * same pack: what a command costs when it has to be parsed. Not part of the Cedar comparison, which has no shell.
 */
export function benchShellCommands(count: number): RuntimeRequest[] {
  const makers: readonly ((i: number) => string)[] = [
    (i) => `tool-${i % 44} run --grep="a;b" | check-${i % 44}`,
    (i) => `tool-${i % 44} run 'x y' && tool-${(i + 2) % 44} run 2>&1`,
    (i) => `FOO=1 check-${i % 44}; danger-${i % 34} --now`,
    (i) => `tool-${i % 44} run "$(deploy-${i % 24} prod)"`,
    (i) => `(cd src && tool-${i % 44} run) > out-${i}.log`,
  ];
  return Array.from({ length: count }, (_, i) =>
    toRuntimeRequest({
      session_id: 'bench',
      agent_id: 'bench-agent',
      actor: 'bench@example.com',
      action_type: 'execute_command',
      target: (makers[i % makers.length] as (i: number) => string)(i),
      requested_operation: 'run',
      policy_pack: 'bench-200',
    }),
  );
}
