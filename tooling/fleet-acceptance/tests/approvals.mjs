// Issue 20's fleet round trip: a real daemon with `approvals: { store: fleet }` holds an evaluate that needs approval;
// an approver on its own NATS connection verifies and writes a review through the fleet store (what `cavra approval
// approve --nats` does, without a process start per trial); the figure is the time from the review's write returning
// to the held evaluate's `allow`. Each trial asks for another action (`npm publish --tag t<n>`), so no grant of an
// earlier trial answers it. Then: two approvers racing (threshold 1) give one outcome; a self-review is refused.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalError, generateApproverKey, signReview, verifyReview } from '@cavra/approvals';
import { createClient } from '@cavra/daemon-client';
import { connectFleet, openFleetApprovalStore } from '@cavra/fleet';
import { percentile } from '../wait.mjs';

const TRIALS = Number(process.env.APPROVAL_TRIALS ?? 200);
const GROUP = 'Repository Owners'; // the baseline pack's approver group for `npm publish`
const REQUESTER = 'dev@example.com';

const publish = (n) => ({
  session_id: 's',
  agent_id: 'acceptance',
  actor: REQUESTER,
  action_type: 'execute_command',
  target: `npm publish --tag t${n}`,
  requested_operation: 'execute',
});

export default {
  name: 'approvals',
  async run(ctx) {
    const approvers = {};
    for (const [index, id] of ['bob@example.com', 'carol@example.com', REQUESTER].entries()) {
      approvers[id] = await generateApproverKey();
      await writeFile(join(ctx.root, `approver-${index}.pub.pem`), approvers[id].publicKeyPem);
    }
    // The channel's bundle (or, before the first push, the baseline from a bootstrap pack) asks approval for npm publish.
    const boot = join(ctx.root, 'approvals-boot.yaml');
    await writeFile(boot, 'metadata: {id: boot, version: 1.0.0, inherits: cavra-ai-agent-baseline}\n');
    const daemon = await ctx.daemonAt('approvals', {
      config: {
        fleet: {
          servers: ctx.cluster.servers,
          channel: ctx.channel,
          trust_root: ctx.trust.rootFile,
          bootstrap_pack: boot,
        },
        approvals: {
          store: 'fleet',
          wait_ms: 30_000,
          groups: {
            [GROUP]: {
              approvers: Object.keys(approvers).map((id, index) => ({
                id,
                public_key: join(ctx.root, `approver-${index}.pub.pem`),
              })),
            },
          },
        },
      },
    });
    await ctx.start(daemon);

    const groups = {
      [GROUP]: Object.entries(approvers).map(([id, key]) => ({ id, publicKey: key.publicKeyPem })),
    };
    const fleets = [
      await connectFleet({ servers: ctx.cluster.servers }),
      await connectFleet({ servers: ctx.cluster.servers }),
    ];
    const stores = await Promise.all(fleets.map((fleet) => openFleetApprovalStore({ fleet })));
    const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 60_000 });
    // New requests as the daemon creates them: a watch of every request's first revision.
    const kv = await fleets[0].kvm.open('cavra_approvals');
    const created = await kv.watch({ key: 'req.*.0', include: 'updates' });
    const arrivals = created[Symbol.asyncIterator]();
    const nextRequestId = async () => {
      const { value } = await arrivals.next();
      return value.json().request.request_id;
    };
    const review = async (store, reviewer, requestId) => {
      const jws = await signReview(
        { request_id: requestId, verdict: 'approve', reviewer, scope: 'once' },
        approvers[reviewer].privateKeyPem,
      );
      const now = new Date();
      const verified = await verifyReview(jws, {
        approvers: groups,
        now,
        seenJti: (jti) => store.seenJti(jti),
      });
      return store.review(requestId, verified, now);
    };
    try {
      const times = [];
      let allowed = 0;
      for (let n = 0; n < TRIALS; n++) {
        const answer = client.evaluate(publish(n)).then((decision) => ({ decision, at: performance.now() }));
        const requestId = await nextRequestId();
        await review(stores[n % 2], 'bob@example.com', requestId);
        const reviewed = performance.now();
        const { decision, at } = await answer;
        if (decision.decision === 'allow' && decision.rule_id === 'approval.granted') allowed++;
        times.push(at - reviewed);
      }
      const p99 = percentile(times, 99);
      ctx.report(
        `approval round trip (fleet store, ${TRIALS} trials)`,
        allowed === TRIALS,
        `${allowed}/${TRIALS} allow (approval.granted)`,
      );
      ctx.target(
        `approval round trip (fleet store, ${TRIALS} trials)`,
        p99 <= 1000,
        `review written → allow p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (≤ 1000), max ${Math.max(...times).toFixed(1)} ms; ${allowed}/${TRIALS} allow (approval.granted)`,
      );

      // Two approvers racing on two connections for a threshold-1 request: one outcome, the other refused.
      const raced = client.evaluate(publish('race'));
      const raceId = await nextRequestId();
      const settled = await Promise.allSettled([
        review(stores[0], 'bob@example.com', raceId),
        review(stores[1], 'carol@example.com', raceId),
      ]);
      const outcome = (await stores[0].get(raceId))?.outcome;
      const refused = settled
        .filter((result) => result.status === 'rejected')
        .map((result) => result.reason.code);
      const racedDecision = await raced;
      ctx.report(
        'approval race (two approvers, threshold 1)',
        outcome?.by.length === 1 &&
          refused.join() === 'already_decided' &&
          racedDecision.decision === 'allow',
        `outcome ${outcome?.status} by ${outcome?.by.join(', ')}; the other review: ${refused.join(', ') || 'accepted'}; evaluate ${racedDecision.decision}`,
      );

      // The requester reviewing their own request.
      const own = client.evaluate({ ...publish('self'), session_id: 's-self' });
      const ownId = await nextRequestId();
      const self = await review(stores[0], REQUESTER, ownId).then(
        () => 'accepted',
        (error) => (error instanceof ApprovalError ? error.code : String(error)),
      );
      await review(stores[1], 'carol@example.com', ownId);
      const ownDecision = await own;
      ctx.report(
        'approval self-review refused',
        self === 'self_review' && ownDecision.decision === 'allow',
        `the requester's own review: ${self}; another approver's then: ${ownDecision.decision}`,
      );
    } finally {
      created.stop();
      await client.close();
      await Promise.all(stores.map((store) => store.close()));
      await Promise.all(fleets.map((fleet) => fleet.close()));
      await ctx.stop(daemon);
    }
  },
};
