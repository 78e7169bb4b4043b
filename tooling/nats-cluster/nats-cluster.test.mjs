// The harness against real nats-server processes: a 3-node JetStream cluster with a meta leader, separate store
// folders, a node killed with SIGKILL or shut down and restarted, everything gone after stop().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startNatsCluster } from './nats-cluster.mjs';

let cluster;
before(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
});
after(() => cluster?.stop());

const jsz = async (node) => (await fetch(`${node.monitorUrl}/jsz`)).json();

test('three nodes on loopback, separate store folders, one meta leader all of them know', async () => {
  const nodes = cluster.nodes;
  assert.deepEqual(
    nodes.map((node) => node.url),
    nodes.map((node) => `nats://127.0.0.1:${node.port}`),
  );
  assert.equal(new Set(nodes.map((node) => node.storeDir)).size, 3);
  assert.deepEqual(
    cluster.servers,
    nodes.map((node) => node.url),
  );
  const reports = await Promise.all(nodes.map(jsz));
  assert.deepEqual(
    reports.map((report) => report.meta_cluster.cluster_size),
    [3, 3, 3],
  );
  const leaders = new Set(reports.map((report) => report.meta_cluster.leader));
  assert.equal(leaders.size, 1);
  assert.ok(['n1', 'n2', 'n3'].includes([...leaders][0]));
});

test('kill -9 of a node, then restart on the same ports and store folder', async () => {
  const before = cluster.nodes[1];
  await cluster.kill(1);
  assert.deepEqual(
    cluster.nodes.map((node) => node.running),
    [true, false, true],
  );
  await assert.rejects(fetch(`${before.monitorUrl}/jsz`));
  await cluster.ready();
  const survivors = await Promise.all([cluster.nodes[0], cluster.nodes[2]].map(jsz));
  const leaders = new Set(survivors.map((report) => report.meta_cluster.leader));
  assert.equal(leaders.size, 1);
  assert.ok(['n1', 'n3'].includes([...leaders][0]));
  await cluster.restart(1);
  const after = cluster.nodes[1];
  assert.equal(after.running, true);
  assert.equal(after.port, before.port);
  assert.equal(after.storeDir, before.storeDir);
  assert.notEqual(after.pid, before.pid);
  assert.equal((await jsz(after)).meta_cluster.cluster_size, 3);
});

test('a clean shutdown of a node, then restart on the same store folder', async () => {
  const before = cluster.nodes[2];
  await cluster.shutDown(2);
  assert.deepEqual(
    cluster.nodes.map((node) => node.running),
    [true, true, false],
  );
  await assert.rejects(fetch(`${before.monitorUrl}/jsz`));
  await cluster.restart(2);
  assert.equal(cluster.nodes[2].running, true);
  assert.equal(cluster.nodes[2].storeDir, before.storeDir);
  assert.equal((await jsz(cluster.nodes[2])).meta_cluster.cluster_size, 3);
});

test('a node index outside the cluster is refused', () => {
  assert.throws(() => cluster.kill(3), { message: 'no node 3: the cluster has nodes 0..2' });
});

test('a store size that is not one is refused before anything starts', async () => {
  for (const size of ['4 GB', '0GB', '4gb', '-1', ''])
    await assert.rejects(startNatsCluster({ nodes: 1, maxFileStore: size }), {
      message: `maxFileStore must be a size such as 512MB or 4GB, got ${size}`,
    });
});

test('stop() ends every node and removes the folder it made', async () => {
  const other = await startNatsCluster({ nodes: 1 });
  assert.equal(other.nodes[0].clusterPort, undefined);
  assert.ok((await jsz(other.nodes[0])).config);
  await other.stop();
  assert.deepEqual(
    other.nodes.map((node) => node.running),
    [false],
  );
  assert.equal(existsSync(other.dir), false);
});
