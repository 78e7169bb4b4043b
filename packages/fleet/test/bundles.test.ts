import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { TargetFile } from '@tufjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBytes, type FleetBundle, sha256Hex } from '../src/bundle-document.js';
import { putStoreObject } from '../src/bundle-store.js';
import { readChannelKeys } from '../src/channel-keys.js';
import {
  type BundleHead,
  connectFleet,
  type Fleet,
  type FleetError,
  fetchVerifiedBundle,
  initChannelTrust,
  publishBundle,
  readBundleHead,
  resignChannel,
  rotateChannelKeys,
} from '../src/index.js';
import { putTopMetadata } from '../src/publish-bundle.js';
import { readPublishedChannel } from '../src/published-channel.js';
import { tufExpiry } from '../src/tuf-expiry.js';
import { roleKeyFromPem } from '../src/tuf-keys.js';

let cluster: NatsCluster;
let fleet: Fleet;

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
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
  return (await fleet.bundles.list()).map((info) => info.name).sort();
}

async function replaceObject(name: string, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const bytes = await fleet.bundles.getBlob(name);
  if (!bytes) throw new Error(`no object ${name}`);
  await fleet.bundles.putBlob({ name }, edit(Buffer.from(bytes)));
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
    });
    expect(published).toMatchObject({
      channel: 'laptops',
      revision: 1,
      target: 'bundle-1.json',
      packs: ['team-base.yaml', 'team.yaml'],
      keyIds: trust.keyIds,
    });
    expect((await readBundleHead(fleet, 'laptops'))?.head).toEqual({
      revision: 1,
      target: 'bundle-1.json',
      reads: { snapshot: 1, targets: 1, digest: published.digest },
    });
    const daemon = await daemonDirs();
    const bundle = await fetchVerifiedBundle({
      fleet,
      channel: 'laptops',
      trustedRootFile: trust.rootFile,
      ...daemon,
    });
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
    // The default pack as loaded from the staged folder, its parent resolved from the bundle: enforced as is.
    expect(bundle.unchanged).toBe(false);
    expect(bundle.compiledPacks.map((pack) => [pack.id, pack.resolved.metadata.inherits])).toEqual([
      ['team', ['team-base', 'cavra-ai-agent-baseline']],
    ]);
    expect(await readFile(join(daemon.targetDir, 'bundle-1', 'team.yaml'), 'utf8')).toBe(CHILD);
    // The active bundle again (a poll): nothing staged or loaded again.
    const again = await fetchVerifiedBundle({
      fleet,
      channel: 'laptops',
      trustedRootFile: trust.rootFile,
      ...daemon,
      active: { revision: 1, digest: published.digest },
    });
    expect([again.revision, again.digest, again.unchanged, again.compiledPacks, again.packFiles]).toEqual([
      1,
      published.digest,
      true,
      [],
      bundle.packFiles,
    ]);
    expect((await objectNames()).filter((name) => name.startsWith('laptops/'))).toEqual([
      'laptops/metadata/1.root.json',
      'laptops/metadata/1.snapshot.json',
      'laptops/metadata/1.targets.json',
      'laptops/metadata/timestamp.json',
      `laptops/targets/${published.digest}.bundle-1.json`,
    ]);

    const second = await publishBundle({
      fleet,
      channel: 'laptops',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
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

  it('writes the head twice: reserved before storing anything, then as the wake-up once everything is stored', async () => {
    const { keysDir } = await channelWithKeys('heads');
    const packs = await folder({ 'team-base.yaml': PARENT });
    const watch = await fleet.bundleHeads.watch({ key: 'heads', include: 'updates' });
    const seen: unknown[] = [];
    const twice = (async () => {
      for await (const entry of watch) {
        seen.push(entry.json());
        if (seen.length === 2) break;
      }
    })();
    const { digest } = await publishBundle({
      fleet,
      channel: 'heads',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
    await twice;
    watch.stop();
    expect(seen).toEqual([
      { revision: 1, target: 'bundle-1.json', reserved: true },
      { revision: 1, target: 'bundle-1.json', reads: { snapshot: 1, targets: 1, digest } },
    ]);
  });

  it('refuses a revision that does not exceed the head, and an invalid pack, before publishing anything', async () => {
    const { keysDir } = await channelWithKeys('ci');
    const packs = await folder({
      'team-base.yaml': PARENT,
      'broken.yaml': 'metadata: {id: broken, version: 1.0.0}\ncommands: {block: 3}\n',
      'orphan.yaml': CHILD,
    });
    const fifth = await publishBundle({
      fleet,
      channel: 'ci',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
      revision: 5,
    });
    const before = await objectNames();
    expect(
      await refusal(
        publishBundle({
          fleet,
          channel: 'ci',
          packFiles: [join(packs, 'team-base.yaml')],
          keysDir,
          revision: 5,
        }),
      ),
    ).toEqual({ code: 'older_revision', message: "revision 5 does not exceed channel ci's newest, 5" });
    expect(
      await refusal(
        publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'broken.yaml')], keysDir }),
      ),
    ).toEqual({
      code: 'invalid_pack',
      message: 'policy pack broken.yaml: invalid_pack: /commands/block (line 2, column 12): must be array',
    });
    expect(
      await refusal(
        publishBundle({ fleet, channel: 'ci', packFiles: [join(packs, 'orphan.yaml')], keysDir }),
      ),
    ).toMatchObject({ code: 'missing_pack' });
    expect(
      await refusal(
        publishBundle({
          fleet,
          channel: 'ci',
          packFiles: [join(packs, 'team-base.yaml')],
          keysDir,
          defaultPack: 'team.yaml',
        }),
      ),
    ).toEqual({ code: 'missing_pack', message: 'the default pack team.yaml is not one of the packs given' });
    expect(await refusal(publishBundle({ fleet, channel: 'ci', packFiles: [], keysDir }))).toEqual({
      code: 'no_packs',
      message: 'no pack file was given',
    });
    expect(await objectNames()).toEqual(before);
    expect((await readBundleHead(fleet, 'ci'))?.head).toEqual({
      revision: 5,
      target: 'bundle-5.json',
      reads: { snapshot: 1, targets: 1, digest: fifth.digest },
    });
  });
});

// A bundle signed with the channel's real keys but never validated: what a buggy or bypassed publisher could store.
async function publishUnchecked(keysDir: string, bundle: FleetBundle): Promise<string> {
  const keys = await readChannelKeys(keysDir);
  const published = await readPublishedChannel(fleet, bundle.channel);
  const bytes = bundleBytes(bundle);
  const digest = sha256Hex(bytes);
  const path = `bundle-${bundle.revision}.json`;
  await putStoreObject(fleet, `${bundle.channel}/metadata/1.root.json`, JSON.stringify(keys.root.toJSON()), {
    onlyIfMissing: true,
  });
  await putStoreObject(fleet, `${bundle.channel}/targets/${digest}.${path}`, bytes);
  await putTopMetadata(fleet, bundle.channel, keys, {
    versions: published,
    target: new TargetFile({ path, length: bytes.length, hashes: { sha256: digest } }),
    expires: () => tufExpiry(new Date(), 1),
  });
  return digest;
}

describe('concurrent publishes', () => {
  it('lets exactly one of two concurrent pushes of revision 1 win; daemons get the winner', async () => {
    const { keysDir, trust } = await channelWithKeys('racing');
    const packs = await folder({ 'team-base.yaml': PARENT, 'team.yaml': CHILD });
    const push = (files: string[]) =>
      publishBundle({
        fleet,
        channel: 'racing',
        packFiles: files.map((file) => join(packs, file)),
        keysDir,
        revision: 1,
      });
    const results = await Promise.allSettled([
      push(['team-base.yaml']),
      push(['team-base.yaml', 'team.yaml']),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect([won.length, lost.length]).toEqual([1, 1]);
    expect(((lost[0] as PromiseRejectedResult).reason as FleetError).code).toBe('older_revision');
    const winner = (won[0] as PromiseFulfilledResult<{ revision: number; digest: string }>).value;
    const bundle = await fetchVerifiedBundle({
      fleet,
      channel: 'racing',
      trustedRootFile: trust.rootFile,
      ...(await daemonDirs()),
    });
    expect([bundle.revision, bundle.digest]).toEqual([1, winner.digest]);
    expect((await readBundleHead(fleet, 'racing'))?.head).toEqual({
      revision: 1,
      target: 'bundle-1.json',
      reads: { snapshot: 1, targets: 1, digest: winner.digest },
    });
  });
});

describe('fetchVerifiedBundle refusals', () => {
  async function published(channel: string, options: { now?: Date } = {}) {
    const { keysDir, trust } = await channelWithKeys(channel);
    const packs = await folder({ 'team-base.yaml': PARENT });
    const first = await publishBundle({
      fleet,
      channel,
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
      ...options,
    });
    const fetch = (
      daemon: { metadataDir: string; targetDir: string },
      active?: { revision: number; digest: string },
    ) =>
      fetchVerifiedBundle({
        fleet,
        channel,
        trustedRootFile: trust.rootFile,
        ...daemon,
        ...(active ? { active } : {}),
      });
    return { keysDir, trust, packs, first, fetch };
  }

  it('refuses a bundle with one changed byte, and a timestamp with one changed byte', async () => {
    const { first, fetch } = await published('tamper');
    await replaceObject(`tamper/targets/${first.digest}.bundle-1.json`, (bytes) =>
      Buffer.from(bytes.toString('utf8').replace('npm publish', 'npm publisH')),
    );
    const tampered = await refusal(fetch(await daemonDirs()));
    expect(tampered.code).toBe('tampered');
    expect(tampered.message).toMatch(
      /^TUF refused the channel's metadata: Expected hash [0-9a-f]{64} but got [0-9a-f]{64}$/,
    );
    await replaceObject('tamper/metadata/timestamp.json', (bytes) =>
      Buffer.from(bytes.toString('utf8').replace('"version":1', '"version":7')),
    );
    const forged = await refusal(fetch(await daemonDirs()));
    expect(forged.code).toBe('bad_signature');
    expect(forged.message).toBe("TUF refused the channel's metadata: timestamp was signed by 0/1 keys");
  });

  it('refuses a snapshot longer than the timestamp says (the fetcher keeps its length limit)', async () => {
    const { fetch } = await published('padded');
    await replaceObject('padded/metadata/1.snapshot.json', (bytes) =>
      Buffer.concat([bytes, Buffer.from(' ')]),
    );
    const padded = await refusal(fetch(await daemonDirs()));
    expect([padded.code, padded.message]).toEqual([
      'tampered',
      "TUF refused the channel's metadata: Unable to load snapshot metadata error Error: Max length reached",
    ]);
  });

  it("takes a head's reads as a hint only: one naming the previous revision, or objects that do not exist, gets the newest", async () => {
    const { keysDir, trust, packs, first } = await published('hinted');
    const second = await publishBundle({
      fleet,
      channel: 'hinted',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
    const fetchWith = async (head: BundleHead) =>
      fetchVerifiedBundle({
        fleet,
        channel: 'hinted',
        trustedRootFile: trust.rootFile,
        ...(await daemonDirs()),
        head,
      });
    const previous = await fetchWith({
      revision: 1,
      target: 'bundle-1.json',
      reads: { snapshot: 1, targets: 1, digest: first.digest },
    });
    const missing = await fetchWith({
      revision: 9,
      target: 'bundle-9.json',
      reads: { snapshot: 9, targets: 9, digest: '0'.repeat(64) },
    });
    expect([previous.revision, previous.digest, missing.revision, missing.digest]).toEqual([
      2,
      second.digest,
      2,
      second.digest,
    ]);
  });

  it('refuses an old but validly signed timestamp to a daemon that saw a newer one', async () => {
    const { keysDir, packs, fetch } = await published('rollback');
    const oldTimestamp = await fleet.bundles.getBlob('rollback/metadata/timestamp.json');
    const second = await publishBundle({
      fleet,
      channel: 'rollback',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
    const daemon = await daemonDirs();
    expect((await fetch(daemon)).revision).toBe(2);
    await putStoreObject(fleet, 'rollback/metadata/timestamp.json', oldTimestamp as Uint8Array);
    expect(await refusal(fetch(daemon, { revision: 2, digest: second.digest }))).toEqual({
      code: 'rollback',
      message: "TUF refused the channel's metadata: New timestamp version 1 is less than current version 2",
    });
  });

  it('refuses expired metadata (a frozen channel) until the publisher re-signs it', async () => {
    const { keysDir, first, fetch } = await published('frozen', {
      now: new Date(Date.now() - 8 * 24 * 60 * 60 * 1000),
    });
    const daemon = await daemonDirs();
    expect(await refusal(fetch(daemon))).toEqual({
      code: 'expired',
      message: "TUF refused the channel's metadata: Final timestamp.json is expired",
    });
    const now = new Date();
    expect(await resignChannel({ fleet, channel: 'frozen', keysDir, now })).toEqual({
      revision: 1,
      expires: tufExpiry(now, 7),
    });
    const bundle = await fetch(daemon);
    expect([bundle.revision, bundle.digest, bundle.expires]).toEqual([1, first.digest, tufExpiry(now, 7)]);
    const { keysDir: emptyKeys } = await channelWithKeys('empty');
    expect(await refusal(resignChannel({ fleet, channel: 'empty', keysDir: emptyKeys }))).toEqual({
      code: 'no_bundle',
      message: 'channel empty has published no bundle yet',
    });
  });

  it('refuses a revision below the active one, and the same revision with another digest', async () => {
    const { first, fetch } = await published('older');
    const daemon = await daemonDirs();
    expect(await refusal(fetch(daemon, { revision: 2, digest: 'a'.repeat(64) }))).toEqual({
      code: 'older_revision',
      message: `channel older's signed revision 1 (sha256 ${first.digest}) is not newer than the active revision 2 (sha256 ${'a'.repeat(64)})`,
    });
    expect((await refusal(fetch(daemon, { revision: 1, digest: 'b'.repeat(64) }))).code).toBe(
      'older_revision',
    );
    expect((await fetch(daemon, { revision: 1, digest: first.digest })).revision).toBe(1);
  });

  it('refuses a signed bundle whose manifest names a missing pack, or holding an invalid pack', async () => {
    const { keysDir, trust } = await channelWithKeys('unchecked');
    const pack = (name: string, text: string) => ({ name, sha256: sha256Hex(text), text });
    const base = {
      schema: 'cavra.fleet.bundle.v1',
      channel: 'unchecked',
      created_at: new Date().toISOString(),
    } as const;
    await publishUnchecked(keysDir, {
      ...base,
      revision: 1,
      packs: [pack('team-base.yaml', PARENT)],
      default_pack: 'team.yaml',
    });
    const fetch = async () =>
      refusal(
        fetchVerifiedBundle({
          fleet,
          channel: 'unchecked',
          trustedRootFile: trust.rootFile,
          ...(await daemonDirs()),
        }),
      );
    expect(await fetch()).toEqual({
      code: 'missing_pack',
      message: "the bundle's default_pack team.yaml is not in the bundle",
    });
    await publishUnchecked(keysDir, { ...base, revision: 2, packs: [pack('team.yaml', CHILD)] });
    expect(await fetch()).toEqual({
      code: 'missing_pack',
      message:
        "policy pack team.yaml: unknown_parent: /metadata/inherits: no pack with id 'team-base' is loaded",
    });
    await publishUnchecked(keysDir, {
      ...base,
      revision: 3,
      packs: [pack('bad.yaml', 'metadata: {id: bad}\n')],
    });
    expect(await fetch()).toMatchObject({ code: 'invalid_pack' });
  });

  it('refuses an unknown channel, and a trusted root of another channel', async () => {
    const { trust } = await channelWithKeys('nowhere');
    expect(
      await refusal(
        fetchVerifiedBundle({
          fleet,
          channel: 'nowhere',
          trustedRootFile: trust.rootFile,
          ...(await daemonDirs()),
        }),
      ),
    ).toEqual({
      code: 'unknown_channel',
      message: 'channel nowhere has no signed metadata in the bundle store',
    });
    expect(
      await refusal(
        fetchVerifiedBundle({
          fleet,
          channel: 'laptops',
          trustedRootFile: trust.rootFile,
          ...(await daemonDirs()),
        }),
      ),
    ).toEqual({
      code: 'wrong_channel',
      message: 'the trusted root is for channel nowhere, not laptops',
    });
    expect(
      await refusal(
        fetchVerifiedBundle({
          fleet,
          channel: 'Bad/Name',
          trustedRootFile: trust.rootFile,
          ...(await daemonDirs()),
        }),
      ),
    ).toEqual({
      code: 'invalid_channel',
      message: 'invalid channel name "Bad/Name": use lower-case letters, digits, - and _ (at most 64)',
    });
  });
});

describe('rotateChannelKeys', () => {
  it('moves daemons that trust the old root to a new root and new keys, and the old keys sign nothing more', async () => {
    const { keysDir, trust } = await channelWithKeys('rotating');
    const packs = await folder({ 'team-base.yaml': PARENT });
    const first = await publishBundle({
      fleet,
      channel: 'rotating',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
    const daemon = await daemonDirs();
    const fetch = (dirs: { metadataDir: string; targetDir: string }) =>
      fetchVerifiedBundle({ fleet, channel: 'rotating', trustedRootFile: trust.rootFile, ...dirs });
    expect((await fetch(daemon)).rootVersion).toBe(1);
    const rotated = await rotateChannelKeys({
      fleet,
      channel: 'rotating',
      keysDir,
      roles: ['root', 'targets', 'snapshot', 'timestamp'],
    });
    expect(rotated.rootVersion).toBe(2);
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      expect(rotated.keyIds[role]).not.toBe(trust.keyIds[role]);
    }
    // The new root carries the old root key's signature too: that is what lets a daemon on root 1 accept it.
    const expectedKeyIds = {
      root: [trust.keyIds.root, rotated.keyIds.root],
      targets: [rotated.keyIds.targets],
      snapshot: [rotated.keyIds.snapshot],
      timestamp: [rotated.keyIds.timestamp],
    };
    for (const dirs of [daemon, await daemonDirs()]) {
      const bundle = await fetch(dirs);
      expect([bundle.revision, bundle.digest, bundle.rootVersion, bundle.keyIds]).toEqual([
        1,
        first.digest,
        2,
        expectedKeyIds,
      ]);
    }
    expect(JSON.parse(await readFile(join(daemon.metadataDir, 'root.json'), 'utf8')).signed.version).toBe(2);
    const second = await publishBundle({
      fleet,
      channel: 'rotating',
      packFiles: [join(packs, 'team-base.yaml')],
      keysDir,
    });
    expect((await fetch(daemon)).revision).toBe(second.revision);
    // The retired targets key (kept as targets.key.pem.v1) signing a new targets file is refused.
    const current = await readChannelKeys(keysDir);
    const retired = roleKeyFromPem(await readFile(join(keysDir, 'targets.key.pem.v1'), 'utf8'));
    const state = await readPublishedChannel(fleet, 'rotating');
    await putTopMetadata(
      fleet,
      'rotating',
      { ...current, keys: { ...current.keys, targets: retired } },
      {
        versions: state,
        target: state.target as TargetFile,
        expires: () => tufExpiry(new Date(), 1),
      },
    );
    expect(await refusal(fetch(daemon))).toEqual({
      code: 'bad_signature',
      message:
        "TUF refused the channel's metadata: Unable to load targets error Error: targets was signed by 0/1 keys",
    });
  });
});
