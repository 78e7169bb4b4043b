import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_GOVERNANCE_CONFORMANCE_CASES } from '../../release-governance/test/support/upstream-conformance-cases.js';
import { removeTempDirs, type Started, startTestDaemon } from './support/daemon-fixture.js';
import { RawClient } from './support/raw-client.js';

// The release-governance conformance table of @cavra/release-governance, sent as an upstream client sends it: one
// bare JSON request per connection, answered with a bare DecisionResponse.
let started: Started;
beforeAll(async () => {
  started = await startTestDaemon();
});
afterAll(async () => {
  await started.daemon.close();
  await removeTempDirs();
});

describe('release governance through the daemon decides as upstream CAVRA does', () => {
  it.each(RELEASE_GOVERNANCE_CONFORMANCE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const client = await RawClient.connect(started.daemon.socketPath);
    client.send(c.request);
    const response = await client.next();
    client.socket.destroy();
    expect({
      decision: response?.decision,
      rule_id: response?.rule_id,
      severity: response?.severity,
      approver_group: response?.approver_group ?? '',
    }).toEqual(c.expected);
  });
});

describe('release-governance evidence without an action type, target or operation, as upstream’s daemon reads it', () => {
  const ask = async (request: Record<string, unknown>) => {
    const client = await RawClient.connect(started.daemon.socketPath);
    client.send(request);
    const response = await client.next();
    client.socket.destroy();
    return [
      response?.action_type,
      response?.target,
      response?.requested_operation,
      response?.decision,
      response?.rule_id,
      response?.severity,
    ];
  };

  it('is a release-governance record of its kind, to verify', async () => {
    const evidence = {
      metadata_kind: 'rollout-promotion-execution',
      approval_state: 'approved',
      approval_id: 'a-1',
    };
    expect(await ask({ session_id: 'rg-1', release_governance: evidence })).toEqual([
      'release_governance_record',
      'rollout-promotion-execution',
      'verify',
      'allow',
      'release_governance.approval.approved',
      'low',
    ]);
  });

  it('stays an unknown action when the evidence reports nothing upstream reads', async () => {
    expect(await ask({ session_id: 'rg-2', release_governance: { verified_count: 3 } })).toEqual([
      '',
      '',
      '',
      'require_approval',
      'runtime.default.require_approval',
      'medium',
    ]);
  });
});
