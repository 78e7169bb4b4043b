import { isSafeIdentifier } from '@cavra/contracts';
import picomatch from 'picomatch';
import type { CiProvider } from './provider-profiles.js';
import { RunnerAuthError } from './runner-auth-error.js';

/**
 * Which runners are trusted: configuration, not code. `repositories` and `refs` are globs (picomatch:
 * `acme/*`, `refs/heads/main`, `refs/tags/v*`); without `refs`, any ref of a trusted repository is trusted.
 */
export interface TrustPolicy {
  readonly providers: readonly CiProvider[];
  readonly repositories: readonly string[];
  readonly refs?: readonly string[];
}

// The value comes from a verified token; it is named when it is a plain identifier, so operators see what was refused.
const named = (value: string) => (isSafeIdentifier(value) ? `'${value}' ` : '');

export interface TrustCheck {
  check(provider: CiProvider, repository: string, ref: string): void;
}

export function compileTrustPolicy(policy: TrustPolicy): TrustCheck {
  if (policy.repositories.length === 0) {
    throw new RunnerAuthError(
      'invalid_config',
      'trust policy lists no repositories: nothing would be trusted',
    );
  }
  const repository = picomatch([...policy.repositories]);
  const ref = policy.refs ? picomatch([...policy.refs]) : () => true;
  return {
    check(provider, repo, gitRef) {
      if (!policy.providers.includes(provider)) {
        throw new RunnerAuthError('untrusted_provider', `provider '${provider}' is not trusted`);
      }
      if (!repository(repo))
        throw new RunnerAuthError('untrusted_repository', `repository ${named(repo)}is not trusted`);
      if (!ref(gitRef)) throw new RunnerAuthError('untrusted_ref', `ref ${named(gitRef)}is not trusted`);
    },
  };
}
