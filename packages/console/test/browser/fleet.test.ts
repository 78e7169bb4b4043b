// The fleet view in a real Chromium against a real NATS JetStream server (the repository's harness) and a real
// daemon in fleet mode that activated the channel's signed bundle and wrote its heartbeat.
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, enrollDaemon, resolveDaemonConfig, startDaemon } from '@cavra/daemon';
import { createClient } from '@cavra/daemon-client';
import {
  connectFleet,
  type DaemonStatus,
  type Fleet,
  initChannelTrust,
  publishBundle,
  readFleetStatus,
  shippingLag,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningConsole, startConsole } from '../../src/index.js';
import { seriousViolations } from './support/axe.js';
import { launchChromium } from './support/chromium.js';
import { signIn } from './support/page.js';
import { screenshot } from './support/screenshot.js';
import { headersOf, rowsOf } from './support/table.js';
import { BROWSER_TEST_LIMITS, POLL, until } from './support/until.js';

vi.setConfig(BROWSER_TEST_LIMITS);

const CHANNEL = 'team';

let cluster: NatsCluster;
let publisher: Fleet;
let daemon: Daemon;
let daemonId: string;
/** The daemon as the fleet status read it before the page did. */
let heartbeat: DaemonStatus;
let running: RunningConsole;
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'cvf-'));

beforeAll(async () => {
  [cluster, browser] = await Promise.all([startNatsCluster({ nodes: 1 }), launchChromium()]);
  publisher = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
  const keysDir = join(dir, 'keys');
  const { rootFile } = await initChannelTrust({ channel: CHANNEL, keysDir });
  await writeFile(
    join(dir, 'team.yaml'),
    'metadata: {id: team, version: 1.0.0, inherits: cavra-ai-agent-baseline}\ncommands:\n  block: ["cargo publish *"]\n',
  );
  const push = () =>
    publishBundle({ fleet: publisher, channel: CHANNEL, packFiles: [join(dir, 'team.yaml')], keysDir });
  await push();
  const config = resolveDaemonConfig(
    {
      socket_path: 'run/d.sock',
      evidence_log: 'evidence.jsonl',
      fleet: { servers: cluster.servers, channel: CHANNEL, trust_root: rootFile, poll_interval: '1s' },
    },
    { baseDir: dir },
  );
  daemonId = (await enrollDaemon(join(dir, 'evidence.jsonl'))).daemonId;
  daemon = await startDaemon(config, { drainTimeoutMs: 2000 });
  // Active on revision 1, one decision made, then revision 2: its activation writes a heartbeat counting it.
  const client = createClient({ socketPath: daemon.socketPath });
  await until('the daemon to activate revision 1', async () =>
    (await client.health()).fleet?.revision === 1 ? true : undefined,
  );
  await client.evaluate({
    session_id: 's-1',
    agent_id: 'claude-code',
    actor: 'dev@example.com',
    action_type: 'execute_command',
    target: 'cargo publish --dry-run',
  });
  await client.close();
  await push();
  heartbeat = await until('the daemon heartbeat of revision 2', async () => {
    const status = await readFleetStatus(publisher);
    const entry = status.daemons.find((found) => found.heartbeat.daemon_id === daemonId);
    return entry?.heartbeat.revision === 2 ? entry : undefined;
  });
  running = await startConsole({
    fleet: { servers: cluster.servers },
    evidenceLog: join(dir, 'evidence.jsonl'),
  });
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
  await daemon?.close();
  await publisher?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('shows the daemon with its channel, revision, state and shipping lag, the revisions per channel, and its receipt', async () => {
  const { page, errors } = await signIn(browser, running.url);
  await page.getByRole('link', { name: 'Fleet' }).click();
  await page.getByRole('heading', { name: 'Fleet', exact: true }).waitFor();
  const daemons = page.getByRole('table', { name: 'Daemons' });
  await expect.poll(async () => (await rowsOf(daemons)).length, POLL).toBe(1);
  expect(await headersOf(daemons)).toEqual([
    'Daemon',
    'Kind',
    'Channel',
    'Revision',
    'State',
    'Last seen',
    'Decisions',
    'Shipping lag',
  ]);
  // The heartbeat the page shows, read from the fleet too: the shipping lag is whatever that heartbeat reported
  // (records appended since its snapshot may be in flight). A newer heartbeat (every 30 s) in between: reload.
  const [row, shown] = await until('the page to show the latest heartbeat', async () => {
    const [first, ...others] = await rowsOf(daemons);
    expect(others).toEqual([]);
    const latest = (await readFleetStatus(publisher)).daemons.find(
      (found) => found.heartbeat.daemon_id === daemonId,
    );
    if (first?.[5] === latest?.last_seen) return [first as string[], latest as DaemonStatus] as const;
    await page.reload();
    await daemons.waitFor();
    return undefined;
  });
  const { 5: lastSeen, ...cells } = row;
  // The daemon ships its evidence: the lag is a number of records.
  expect(shippingLag(shown.heartbeat)).toMatch(/^\d+ records?$/);
  expect(cells).toEqual({
    0: daemonId,
    1: 'laptop',
    2: CHANNEL,
    3: '2',
    4: 'active',
    6: 'block 1',
    7: shippingLag(shown.heartbeat),
  });
  expect(Date.parse(lastSeen as string)).toBeGreaterThanOrEqual(Date.parse(heartbeat.last_seen));
  const histogram = page.getByRole('figure', { name: 'Revisions per channel' });
  expect(await histogram.locator('svg').count()).toBe(1);
  expect(await histogram.textContent()).toContain(`${CHANNEL} r2 (head)`);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'fleet');

  // The evidence view of the same daemon's log: beside the chain badge, no receipt yet (no central verifier runs).
  await page.getByRole('link', { name: 'Evidence' }).click();
  await page.getByRole('heading', { name: 'Evidence', exact: true }).waitFor();
  const receipt = page.getByText(/^Receipt: /);
  await expect
    .poll(() => receipt.textContent(), POLL)
    .toBe(`Receipt: none yet for daemon ${daemonId} (the central verifier has not verified its records)`);
  expect(await seriousViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
});
