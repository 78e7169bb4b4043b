import { chmodSync, readFileSync, statSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  approvalStoreConformance,
  CONFORMANCE_T0,
  conformanceRequest,
  conformanceReview,
} from '@cavra/approvals/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalApprovalStore } from '../src/local-approval-store.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

describe('the local approval store', () => {
  describe('passes the store conformance suite of @cavra/approvals', () => {
    for (const c of approvalStoreConformance(({ now }) =>
      openLocalApprovalStore(join(tempDir(), 'approvals.jsonl'), { now }),
    ))
      it(c.name, c.run);
  });

  it('reads back what it committed: requests, reviews, outcomes, consumed grants, used jtis', async () => {
    const path = join(tempDir(), 'approvals.jsonl');
    const now = () => CONFORMANCE_T0;
    const store = await openLocalApprovalStore(path, { now });
    await store.create(conformanceRequest('req-1'));
    await store.create(conformanceRequest('req-2'));
    const review = conformanceReview('req-1');
    await store.review('req-1', review, CONFORMANCE_T0);
    expect(await store.consumeGrant('req-1', 'dec-9')).toBe(true);
    const before = await store.list();
    await store.close();
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    // Every committed state is a line: two creates, a review, a consumed grant.
    expect(readFileSync(path, 'utf8').split('\n').length - 1).toBe(4);

    // A line cut short by a crash was never acknowledged: it is dropped, the rest restored.
    await appendFile(path, '{"request":{"request_id":"req-3"');
    const reopened = await openLocalApprovalStore(path, { now });
    expect(await reopened.list()).toEqual(before);
    expect(await reopened.seenJti(review.jti)).toBe(true);
    expect(await reopened.consumeGrant('req-1', 'dec-10')).toBe(false);
    await reopened.close();
    // Compacted at open: one line per request.
    expect(readFileSync(path, 'utf8').split('\n').length - 1).toBe(2);
  });

  it('refuses a journal line that is not a state, and a journal others can write', async () => {
    const dir = tempDir();
    const path = join(dir, 'approvals.jsonl');
    const state = { request: conformanceRequest('a'), reviews: [], revision: 0 };
    await writeFile(path, `${JSON.stringify(state)}\nnot json\n`, { mode: 0o600 });
    await expect(openLocalApprovalStore(path)).rejects.toThrow(
      `approval store ${path}: line 2 is not an approval state (not JSON); refusing to start without the requests, reviews and grants it holds (restore it, or move it aside)`,
    );
    const { fingerprint: _, ...unprinted } = state.request;
    await writeFile(path, `${JSON.stringify(state)}\n${JSON.stringify({ ...state, request: unprinted })}\n`);
    await expect(openLocalApprovalStore(path)).rejects.toThrow(
      `approval store ${path}: line 2 is not an approval state (/request must have required property 'fingerprint'); refusing`,
    );
    await writeFile(path, '');
    chmodSync(path, 0o666);
    await expect(openLocalApprovalStore(path)).rejects.toThrow(
      `approval store ${path} is writable by group or others (mode 666): whoever can write it can rewrite it; check it, then chmod 600 it`,
    );
  });
});
