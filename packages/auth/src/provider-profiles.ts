import { RunnerAuthError } from './runner-auth-error.js';

/** The CI providers with a profile: the values `RunnerIdentity.provider` and the trust policy accept for OIDC. */
export const CI_PROVIDERS = ['github-actions', 'gitlab-ci', 'azure-pipelines'] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

/** RunnerIdentity fields a provider's token can vouch for. */
export type IdentityClaim =
  | 'repository'
  | 'workflow'
  | 'run_id'
  | 'run_attempt'
  | 'ref'
  | 'sha'
  | 'actor'
  | 'job';

/**
 * A verified token's claims. Our own type, not jose's `JWTPayload`: jose is ESM-only, and a reference to its types in
 * our declarations breaks CommonJS TypeScript consumers (TS1479).
 */
export type TokenClaims = Readonly<Record<string, unknown>>;

/** How one CI provider's ID token maps onto RunnerIdentity. `identity` throws RunnerAuthError on a malformed claim. */
export interface ProviderProfile {
  readonly provider: CiProvider;
  /** Issuer of hosted tokens; undefined when it depends on the tenant (Azure: per organisation). */
  readonly defaultIssuer?: string;
  /**
   * Where the issuer publishes its JWKS, so a self-hosted issuer (GitHub Enterprise Server, self-managed GitLab) gets
   * its own keys; undefined when the path is not fixed (Azure: configure `jwksUri`).
   */
  readonly jwksUri?: (issuer: string) => string;
  readonly algorithms: readonly string[];
  /** Identity fields that must be present in the token (the spec's repository, ref, sha, workflow, run id where the provider has them). */
  readonly required: readonly IdentityClaim[];
  /** Reads identity fields from the token's claims, with the claim name each came from. */
  readonly identity: (
    claims: TokenClaims,
  ) => Partial<Record<IdentityClaim, { readonly claim: string; readonly value: string }>>;
}

const text = (claims: TokenClaims, name: string) => {
  const value = claims[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
};

function pick(claims: TokenClaims, mapping: Partial<Record<IdentityClaim, string>>) {
  const out: Partial<Record<IdentityClaim, { claim: string; value: string }>> = {};
  for (const [field, claim] of Object.entries(mapping) as [IdentityClaim, string][]) {
    const value = text(claims, claim);
    if (value !== undefined) out[field] = { claim, value };
  }
  return out;
}

/** Issuer defaults, JWKS locations, algorithms and claim mappings of each CI provider (table in the README). */
export const PROVIDER_PROFILES: Readonly<Record<CiProvider, ProviderProfile>> = {
  'github-actions': {
    provider: 'github-actions',
    defaultIssuer: 'https://token.actions.githubusercontent.com',
    jwksUri: (issuer) => `${issuer.replace(/\/+$/, '')}/.well-known/jwks`,
    algorithms: ['RS256'],
    required: ['repository', 'ref', 'sha', 'workflow', 'run_id'],
    identity: (claims) =>
      pick(claims, {
        repository: 'repository',
        workflow: 'workflow',
        run_id: 'run_id',
        run_attempt: 'run_attempt',
        ref: 'ref',
        sha: 'sha',
        actor: 'actor',
      }),
  },
  'gitlab-ci': {
    provider: 'gitlab-ci',
    defaultIssuer: 'https://gitlab.com',
    jwksUri: (issuer) => `${issuer.replace(/\/+$/, '')}/oauth/discovery/keys`,
    algorithms: ['RS256'],
    required: ['repository', 'ref', 'sha', 'run_id'],
    identity: (claims) => {
      const out = pick(claims, {
        repository: 'project_path',
        run_id: 'pipeline_id',
        sha: 'sha',
        actor: 'user_login',
        job: 'job_id',
      });
      // GitLab's `ref` is the bare branch or tag name; `ref_type` says which, giving the full ref runners report.
      // Anything but branch or tag is refused: guessing a branch would let a tag pass a branch-only trust policy.
      const ref = text(claims, 'ref');
      if (ref !== undefined) {
        const refType = text(claims, 'ref_type');
        if (refType === undefined)
          throw new RunnerAuthError('missing_claim', "token has no 'ref_type' claim");
        if (refType !== 'branch' && refType !== 'tag')
          throw new RunnerAuthError('bad_token', "token claim 'ref_type' is neither 'branch' nor 'tag'");
        out.ref = { claim: 'ref', value: refType === 'tag' ? `refs/tags/${ref}` : `refs/heads/${ref}` };
      }
      return out;
    },
  },
  'azure-pipelines': {
    provider: 'azure-pipelines',
    algorithms: ['RS256'],
    required: ['repository', 'ref', 'sha', 'run_id'],
    identity: (claims) => {
      const out = pick(claims, { repository: 'rpo_uri', ref: 'rpo_ref', sha: 'rpo_ver', run_id: 'run_id' });
      // `sub` is p://<organisation>/<project>/<pipeline>: the pipeline is the workflow.
      const pipeline = /^p:\/\/[^/]+\/[^/]+\/(.+)$/.exec(text(claims, 'sub') ?? '')?.[1];
      if (pipeline !== undefined) out.workflow = { claim: 'sub', value: pipeline };
      return out;
    },
  },
};

/** True when `value` names a CI provider with a profile. */
export function isCiProvider(value: string): value is CiProvider {
  return (CI_PROVIDERS as readonly string[]).includes(value);
}
