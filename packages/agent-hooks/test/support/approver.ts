import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApproverKey, signReview } from '@cavra/approvals';
import { createClient } from '@cavra/daemon-client';

/** An approver of the tests: alice, whose public key a daemon's `approvals:` section lists for a group. */
export interface TestApprover {
  readonly id: string;
  /** The daemon config's `approvals:` section: `group` reviewed by this approver, plus `settings`. */
  approvals(group: string, settings?: Record<string, unknown>): Record<string, unknown>;
  /** Approves a request as `cavra approval approve` does: a signed review sent to the daemon. */
  approve(socketPath: string, requestId: string, scope?: string): Promise<void>;
}

export async function testApprover(id = 'alice@example.com'): Promise<TestApprover> {
  const key = await generateApproverKey();
  const dir = mkdtempSync(join(tmpdir(), 'cavra-approver-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const publicKey = join(dir, 'alice.pub.pem');
  writeFileSync(publicKey, key.publicKeyPem);
  return {
    id,
    approvals: (group, settings = {}) => ({
      groups: { [group]: { approvers: [{ id, public_key: publicKey }] } },
      ...settings,
    }),
    async approve(socketPath, requestId, scope) {
      const review = await signReview(
        { request_id: requestId, verdict: 'approve', reviewer: id, ...(scope ? { scope } : {}) },
        key.privateKeyPem,
      );
      const client = createClient({ socketPath });
      try {
        await client.reviewApproval(review);
      } finally {
        await client.close();
      }
    },
  };
}
