import { isOneOf } from './closed-set.js';

/** Runner authentication algorithms accepted in RunnerAuthentication.algorithm. */
export const RUNNER_AUTH_ALGORITHMS = ['HMAC-SHA256', 'OIDC-JWT'] as const;

export type RunnerAuthAlgorithm = (typeof RUNNER_AUTH_ALGORITHMS)[number];

export function isRunnerAuthAlgorithm(value: unknown): value is RunnerAuthAlgorithm {
  return isOneOf(RUNNER_AUTH_ALGORITHMS, value);
}
