import { createHash } from 'node:crypto';

/** The fields of a request that a retry must repeat to use its grant. */
export interface FingerprintInput {
  readonly actor: string;
  readonly agent_id: string;
  readonly action_type: string;
  readonly target: string;
  readonly operation: string;
  readonly policy_id: string;
  readonly rule_id: string;
}

/**
 * Hex SHA-256 of the canonical JSON array `[actor, agent_id, action_type, target, operation, policy_id, rule_id]`:
 * the same action by the same actor through the same agent, decided by the same rule. An array of strings has one
 * JSON form, so every store and language computes the same fingerprint.
 */
export function actionFingerprint(input: FingerprintInput): string {
  const fields = [
    input.actor,
    input.agent_id,
    input.action_type,
    input.target,
    input.operation,
    input.policy_id,
    input.rule_id,
  ];
  return createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('hex');
}
