// The requests of the daemon benches.
const BASE = {
  session_id: 'bench',
  agent_id: 'bench-agent',
  actor: 'bench@example.com',
  policy_pack: 'cavra-ai-agent-baseline',
};
/** A mix of what agents ask: allowed and blocked reads, gated writes, plain, compound and nested commands, pushes. */
export const SHAPES = [
  { action_type: 'read_file', target: 'src/index.ts' },
  { action_type: 'read_file', target: '/home/dev/app/.env' },
  { action_type: 'write_file', target: '.github/workflows/ci.yml' },
  { action_type: 'write_file', target: 'src/components/button.tsx' },
  { action_type: 'execute_command', target: 'npm test' },
  { action_type: 'execute_command', target: 'git status && git diff HEAD~1 -- src' },
  { action_type: 'execute_command', target: "bash -lc 'ls -la src'" },
  { action_type: 'git_push', target: 'HEAD:refs/heads/feature/bench' },
].map((shape) => ({
  ...BASE,
  ...shape,
  requested_operation: shape.action_type === 'execute_command' ? shape.target : '',
}));
