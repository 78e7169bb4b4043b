import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type ApproverKey,
  createOidcReviewVerifier,
  keyThumbprint,
  type VerifyReviewOptions,
} from '@cavra/approvals';
import type { ApprovalsConfig } from './approvals-config.js';
import { errorWords } from './own-file.js';

/** Who may review: what verifyReview needs beyond the review, its time and the jtis seen. */
export type ReviewVerification = Pick<VerifyReviewOptions, 'approvers' | 'oidc'>;

/**
 * Reads every approver's public key (SPKI PEM, Ed25519 or P-256) listed in `approvals.groups`, and builds the OIDC
 * verifier when `approvals.oidc` is set. A key that cannot be read or is not a public key refuses the start, naming
 * its place in the config and its file.
 */
export async function loadReviewVerification(
  config: ApprovalsConfig,
  clock: () => Date,
): Promise<ReviewVerification> {
  const approvers: Record<string, ApproverKey[]> = {};
  for (const [group, settings] of Object.entries(config.groups)) {
    approvers[group] = await Promise.all(
      settings.approvers.map(async ({ id, publicKey: path }, index) => {
        const where = `approvals.groups.${group}.approvers[${index}].public_key ${path}`;
        let pem: string;
        try {
          pem = await readFile(path, 'utf8');
        } catch (error) {
          throw new Error(`${where}: cannot read it: ${errorWords(error)}`);
        }
        try {
          const publicKey = createPublicKey(pem);
          await keyThumbprint(publicKey);
          return { id, publicKey };
        } catch {
          throw new Error(`${where}: not a public key in PEM (SPKI), Ed25519 or P-256`);
        }
      }),
    );
  }
  const { oidc } = config;
  return {
    approvers,
    ...(oidc
      ? {
          oidc: await createOidcReviewVerifier({
            issuer: oidc.issuer,
            audience: oidc.audience,
            jwksUrl: oidc.jwksUrl,
            identityClaim: oidc.identityClaim,
            groupsClaim: oidc.groupsClaim,
            now: clock,
          }),
        }
      : {}),
  };
}
