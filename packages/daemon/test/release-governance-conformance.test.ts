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
