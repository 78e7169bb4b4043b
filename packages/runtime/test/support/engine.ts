import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';
import {
  type CompiledPolicyPack,
  createEngine,
  type EngineOptions,
  loadShellParser,
} from '../../src/index.js';

// Tests that compile packs themselves build engines without the pack loaders, which load the parser.
await loadShellParser();

export const FIXED_NOW = new Date('2026-11-25T10:00:00.000Z');

/** An engine with a fixed clock and counting ids, so decisions are exact. */
export function exactEngine(packs: readonly CompiledPolicyPack[], options: Partial<EngineOptions> = {}) {
  let next = 0;
  return createEngine({
    packs,
    clock: () => FIXED_NOW,
    ids: () => `id-${++next}`,
    ...options,
  });
}

export function request(
  actionType: string,
  target: string,
  extra: Record<string, unknown> = {},
): RuntimeRequest {
  return toRuntimeRequest({
    session_id: 'session-1',
    agent_id: 'codex-agent',
    actor: 'developer@example.com',
    action_type: actionType,
    target,
    requested_operation: actionType === 'execute_command' ? target : 'apply',
    policy_pack: 'cavra-ai-agent-baseline',
    ...extra,
  });
}
