// Reading an object of the bundles store while a publisher replaces it, on a real JetStream server: @nats-io/obj's
// getBlob waited forever when the chunks it was about to read were purged by the replacing put (a daemon's fetch of
// timestamp.json during a push hung the follower); readStoreObject starts over on the new version.
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectFleet, type Fleet } from '../src/index.js';
import { readStoreObject } from '../src/read-store-object.js';

let cluster: NatsCluster;
let writer: Fleet;
let reader: Fleet;
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 1 });
  writer = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
  reader = await connectFleet({ servers: cluster.servers });
});
afterAll(async () => {
  await reader?.close();
  await writer?.close();
  await cluster?.stop();
});

test('every read of an object replaced again and again returns one whole version of it', async () => {
  const name = 'race/timestamp.json';
  const version = (n: number) => `version ${n} `.repeat(20);
  const written = new Set([version(0)]);
  await writer.bundles.putBlob({ name }, Buffer.from(version(0)));
  let writing = true;
  const replacing = (async () => {
    for (let n = 1; writing; n++) {
      written.add(version(n));
      await writer.bundles.putBlob({ name }, Buffer.from(version(n)));
    }
  })();
  const reads: string[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      const bytes = await readStoreObject(reader.bundles, name);
      reads.push(Buffer.from(bytes as Uint8Array).toString());
    }
  } finally {
    writing = false;
    await replacing;
  }
  expect(reads.length).toBe(40);
  expect(reads.filter((read) => !written.has(read))).toEqual([]);
}, 120_000);

test('a missing object is null', async () => {
  expect(await readStoreObject(reader.bundles, 'race/none.json')).toBeNull();
});
