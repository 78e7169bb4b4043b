import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_OBJECT_STORE,
  type FleetError,
  fetchVerifiedBundle,
  initChannelTrust,
  publishBundle,
  readBundleHead,
  openBundleStore,
  rotateChannelKeys,
} from '../src/index.js';
import { bundleBytes, sha256Hex } from '../src/bundle-document.js';
import { readChannelKeys } from '../src/channel-keys.js';
import { putObject, putTopMetadata } from '../src/publish-bundle.js';
import { readPublishedChannel } from '../src/published-channel.js';
import { TargetFile } from '@tufjs/models';
import { tufExpiry } from '../src/tuf-expiry.js';

let cluster: NatsCluster;
let nc: NatsConnection;
let fleet: { nc: NatsConnection };

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  nc = await connect({ servers: cluster.servers });
  fleet = { nc };
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

const PARENT = `metadata: {id: team-base, version: 1.0.0, inherits: cavra-ai-agent-baseline}
commands:
  block: ["npm publish *"]
`;
const CHILD = `metadata: {id: team, version: 1.0.0, inherits: team-base}
commands:
  block: ["cargo publish *"]
`;

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-fleet-test-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function channelWithKeys(channel: string) {
  const keysDir = join(await mkdtemp(join(tmpdir(), 'cavra-fleet-keys-')), 'keys');
  const trust = await initChannelTrust({ channel, keysDir });
  return { keysDir, trust };
}

async function daemonDirs() {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-fleet-daemon-'));
  return { metadataDir: join(dir, 'metadata'), targetDir: join(dir, 'targets') };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as FleetError | undefined;
  return { code: error?.code ?? 'no error', message: error?.message ?? '' };
}

async function objectNames(): Promise<string[]> {
  const os = await new Objm(nc).open(BUNDLE_OBJECT_STORE);
  return (await os.list()).map((info) => info.name).sort();
}

async function replaceObject(name: string, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const os = await new Objm(nc).open(BUNDLE_OBJECT_STORE);
  const bytes = await os.getBlob(name);
  if (!bytes) throw new Error(`no object ${name}`);
  await os.putBlob({ name }, edit(Buffer.from(bytes)));
}

describe('publishBundle and fetchVerifiedBundle on a 3-node cluster', () => {
  it('publishes every pack of a channel as one signed bundle a daemon verifies, stages and loads', async () => {
    const { keysDir, trust } = await channelWithKeys('laptops');
    const packs = await folder({ 'team-base.yaml': PARENT, 'team.yaml': CHILD });
    const published = await publishBundle({
      fleet,
      channel: 'laptops',
      packFiles: [join(packs, 'team-base.yaml'), join(packs, 'team.yaml')],
      keysDir,
      defaultPack: 'team.yaml',
      replicas: 3,
    });
    expect(published).toMatchObject({
      channel: 'laptops',
      revision: 1,
      target: 'bundle-1.json',
      packs: ['team-base.yaml', 'team.yaml'],
      keyIds: trust.keyIds,
    });
    const store = await openBundleStore(fleet);
    expect((await readBundleHead(store, 'laptops'))?.head).toEqual({ revision: 1, target: 'bundle-1.json' });
    const daemon = await daemonDirs();
    const bundle = await fetchVerifiedBundle({ fleet, channel: 'laptops', trustedRootFile: trust.rootFile, ...daemon });
    expect(bundle).toMatchObject({
      channel: 'laptops',
      revision: 1,
      target: 'bundle-1.json',
      digest: published.digest,
      defaultPack: 'team.yaml',
      packDir: join(daemon.targetDir, 'bundle-1'),
      packFiles: [join(daemon.targetDir, 'bundle-1', 'team.yaml')],
      rootVersion: 1,
      expires: published.expires,
      keyIds: {
        root: [trust.keyIds.root],
        targets: [trust.keyIds.targets],
        snapshot: [trust.keyIds.snapshot],
        timestamp: [trust.keyIds.timestamp],
      },
    });
    expect(bundle.packs.map((pack) => [pack.name, pack.sha256])).toEqual([
      ['team-base.yaml', sha256Hex(PARENT)],
      ['team.yaml', sha256Hex(CHILD)],
    ]);
    expect(await readFile(join(daemon.targetDir, 'bundle-1', 'team.yaml'), 'utf8')).toBe(CHILD);
    expect((await objectNames()).filter((name) => name.startsWith('laptops/'))).toEqual([
      'laptops/metadata/1.root.json',
      'laptops/metadata/1.snapshot.json',
      'laptops/metadata/1.targets.json',
      'laptops/metadata/timestamp.json',
      `laptops/targets/${published.digest}.bundle-1.json`,
    ]);

    const second = await publishBundle({ fleet, channel: 'laptops', packFiles: [join(packs, 'team-base.yaml')], keysDir });
    expect(second.revision).toBe(2);
    const next = await fetchVerifiedBundle({
      fleet,
      channel: 'laptops',
      trustedRootFile: trust.rootFile,
      ...daemon,
      active: { revision: 1, digest: published.digest },
    });
    expect([next.revision, next.digest, next.packFiles]).toEqual([
      2,
      second.digest,
      [join(daemon.targetDir, 'bundle-2', 'team-base.yaml')],
    ]);
  });

  it('refuses a revision that does not exceed the head, and an invalid pack, before publishing anything', async () => {
    const { keysDir } = await channelWithKeys('ci');
    const packs = await folder({
      'team-base.yaml': PARENT,
      'broken.yaml': 'metadata: {id: broken, version: 1.0.0}\ncommands: {block: 3}\n',
      'orphan.yaml': CHILD,
    });
    await publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'team-base.yaml')], keysDir, revision: 5 });
    const before = await objectNames();
    expect(
      await refusal(publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'team-base.yaml')], keysDir, revision: 5 })),
    ).toEqual({ code: 'older_revision', message: "revision 5 does not exceed channel ci's newest, 5" });
    expect(
      await refusal(publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'broken.yaml')], keysDir })),
    ).toEqual({
      code: 'invalid_pack',
      message: 'policy pack broken.yaml: invalid_pack: /commands/block (line 2, column 12): must be array',
    });
    expect(
      await refusal(publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'orphan.yaml')], keysDir })),
    ).toMatchObject({ code: 'missing_pack' });
    expect(
      await refusal(
        publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'team-base.yaml')], keysDir, defaultPack: 'team.yaml' }),
      ),
    ).toEqual({ code: 'missing_pack', message: 'the default pack team.yaml is not one of the packs given' });
    expect(await refusal(publishBundle({ fleet, channel: 'ci', packFiles: [], keysDir }))).toEqual({
      code: 'no_packs',
      message: 'no pack file was given',
    });
    expect(await objectNames()).toEqual(before);
    expect((await readBundleHead(await openBundleStore(fleet), 'ci'))?.head).toEqual({ revision: 5, target: 'bundle-5.json' });
  });
});
