// Reading an object of the bundles store while a publisher replaces it, on a real JetStream server: @nats-io/obj's
// getBlob waited forever when the chunks it was about to read were purged by the replacing put (a daemon's fetch of
// timestamp.json during a push hung the follower); readStoreObject reads the new version instead.
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectFleet, type Fleet, FleetError } from '../src/index.js';
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

/** Reads `name` `reads` times while another connection replaces it with new versions as fast as it can. */
async function readWhileReplaced(name: string, version: (n: number) => string, reads: number) {
  const written = new Set([version(0)]);
  await writer.bundles.putBlob({ name }, Buffer.from(version(0)));
  let writing = true;
  const replacing = (async () => {
    for (let n = 1; writing; n++) {
      written.add(version(n));
      await writer.bundles.putBlob({ name }, Buffer.from(version(n)));
    }
  })();
  const read: string[] = [];
  try {
    for (let i = 0; i < reads; i++)
      read.push(Buffer.from((await readStoreObject(reader, name)) as Uint8Array).toString());
  } finally {
    writing = false;
    await replacing;
  }
  return { count: read.length, notWritten: read.filter((text) => !written.has(text)) };
}

test('every read of a one-chunk object replaced again and again returns one whole version of it', async () => {
  expect(await readWhileReplaced('race/timestamp.json', (n) => `version ${n} `.repeat(20), 40)).toEqual({
    count: 40,
    notWritten: [],
  });
}, 120_000);

test('the same for an object of several chunks (300 kB, the library reads it)', async () => {
  expect(await readWhileReplaced('race/bundle.json', (n) => `${n}`.padEnd(300_000, '.'), 10)).toEqual({
    count: 10,
    notWritten: [],
  });
}, 120_000);

test('a missing object is null; an aborted read rejects with the reason', async () => {
  expect(await readStoreObject(reader, 'race/none.json')).toBeNull();
  const reason = new FleetError('fetch_timeout', 'abandoned');
  const read = readStoreObject(reader, 'race/timestamp.json', AbortSignal.abort(reason));
  await expect(read).rejects.toBe(reason);
});
