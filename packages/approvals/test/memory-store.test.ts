import { describe, expect, it } from 'vitest';
import { conformanceRequest, conformanceReview } from '../src/conformance.js';
import { ApprovalError, type ApprovalState, createMemoryApprovalStore } from '../src/index.js';

const T1 = new Date('2026-01-05T10:01:00.000Z');
const now = () => new Date('2026-01-05T10:00:30.000Z');

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalError) return error.code;
    throw error;
  }
  throw new Error('not refused');
}

describe('the memory store’s journal hooks', () => {
  it('onChange receives every committed state with the one it replaces, in revision order', async () => {
    const seen: [string, number, number | undefined][] = [];
    const store = createMemoryApprovalStore({
      now,
      onChange: (state, previous) => {
        seen.push([state.request.request_id, state.revision, previous?.revision]);
      },
    });
    await store.create(conformanceRequest('req-1'));
    await store.create(conformanceRequest('req-1'));
    await store.review('req-1', conformanceReview('req-1'), T1);
    await store.consumeGrant('req-1', 'dec-1');
    await store.consumeGrant('req-1', 'dec-2');
    expect(seen).toEqual([
      ['req-1', 0, undefined],
      ['req-1', 1, 0],
      ['req-1', 2, 1],
    ]);
  });

  it('a failing onChange undoes the change and answers store_unavailable: nothing unrecorded is granted', async () => {
    let failing = false;
    const store = createMemoryApprovalStore({
      now,
      onChange: async () => {
        if (failing) throw new Error('disk full');
      },
    });
    await store.create(conformanceRequest('req-1'));
    await store.review('req-1', conformanceReview('req-1'), T1);
    failing = true;
    expect(await refusal(store.consumeGrant('req-1', 'dec-1'))).toBe('store_unavailable');
    expect((await store.get('req-1'))?.outcome?.grant?.consumed_by).toBeUndefined();
    expect(await refusal(store.create(conformanceRequest('req-2')))).toBe('store_unavailable');
    expect(await store.get('req-2')).toBeUndefined();
    failing = false;
    expect(await store.consumeGrant('req-1', 'dec-1')).toBe(true);
  });

  it('readers see only states onChange confirmed: an approval being written grants nothing yet', async () => {
    let release: (ok: boolean) => void = () => {};
    let holding = false;
    const store = createMemoryApprovalStore({
      now,
      onChange: () =>
        holding
          ? new Promise<void>((resolve, reject) => {
              release = (ok) => (ok ? resolve() : reject(new Error('disk full')));
            })
          : undefined,
    });
    const request = conformanceRequest('req-1');
    await store.create(request);
    const woken: string[] = [];
    const waiting = store
      .waitForOutcome('req-1', { deadline: new Date('2026-01-05T10:00:30.050Z') })
      .then((state) => woken.push(state.outcome?.status ?? 'pending'));
    holding = true;
    const reviewing = store.review('req-1', conformanceReview('req-1'), T1);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await store.get('req-1'))?.outcome).toBeUndefined();
    expect(await store.findGrant(request.fingerprint, 'session-1', T1)).toBeUndefined();
    expect(woken).toEqual([]);
    release(false);
    expect(await refusal(reviewing)).toBe('store_unavailable');
    await waiting;
    expect(woken).toEqual(['pending']);
    expect((await store.get('req-1'))?.revision).toBe(0);
  });

  it('restore loads journaled states (their jtis used) without calling onChange', async () => {
    const journal: ApprovalState[] = [];
    const first = createMemoryApprovalStore({ now, onChange: (state) => void journal.push(state) });
    await first.create(conformanceRequest('req-1'));
    await first.create(conformanceRequest('req-2'));
    await first.review('req-1', conformanceReview('req-1'), T1);
    await first.close();

    const latest = new Map(journal.map((state) => [state.request.request_id, state]));
    let changes = 0;
    const second = createMemoryApprovalStore({ now, onChange: () => void changes++ });
    second.restore(latest.values());
    expect(changes).toBe(0);
    expect((await second.list()).map((state) => [state.request.request_id, state.revision])).toEqual([
      ['req-1', 1],
      ['req-2', 0],
    ]);
    expect(await second.seenJti(conformanceReview('req-1').jti)).toBe(true);
    expect(
      await refusal(second.review('req-2', conformanceReview('req-1', { request_id: 'req-2' }), T1)),
    ).toBe('replayed_review');
  });

  it('states handed out are frozen copies: a caller cannot change what the store holds', async () => {
    const store = createMemoryApprovalStore({ now });
    const request = conformanceRequest('req-1');
    await store.create(request);
    (request as { approver_group: string }).approver_group = 'Everyone';
    const state = await store.get('req-1');
    expect(state?.request.approver_group).toBe('Repository Owners');
    expect(Object.isFrozen(state?.request.requester)).toBe(true);
  });

  it('a closed store is store_unavailable, and its waiters are told so', async () => {
    const store = createMemoryApprovalStore({ now });
    await store.create(conformanceRequest('req-1'));
    const waiting = store.waitForOutcome('req-1', { deadline: new Date('2026-01-05T10:10:00.000Z') });
    await store.close();
    expect(await refusal(waiting)).toBe('store_unavailable');
    expect(await refusal(store.get('req-1'))).toBe('store_unavailable');
    expect(await refusal(store.create(conformanceRequest('req-2')))).toBe('store_unavailable');
    expect(await refusal(store.findGrant('f', 's', T1))).toBe('store_unavailable');
  });
});
