import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectFleet, type Fleet, fetchVerifiedBundle, readBundleHead } from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';

let cluster: NatsCluster;
let fleet: Fleet;

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
  await removeTempDirs();
});

const BASE = `metadata: {id: team-base, version: 1.0.0, inherits: cavra-ai-agent-baseline}
commands:
  block: ["npm publish *"]
`;

describe('cavra bundle', () => {
  it('inits a channel, pushes a folder of packs as revision 1 then 2, and refuses an invalid pack before publishing', async () => {
    const dir = tempDir();
    const init = await cavra(['bundle', 'init', '--channel', 'laptops', '--out', 'keys', '--json'], dir);
    expect(init.code).toBe(0);
    const trust = JSON.parse(init.stdout) as { root_file: string; key_ids: Record<string, string> };
    expect([trust.root_file, Object.keys(trust.key_ids)]).toEqual([
      join(dir, 'keys', 'root.json'),
      ['root', 'targets', 'snapshot', 'timestamp'],
    ]);
    expect((await stat(join(dir, 'keys', 'targets.key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
    const again = await cavra(['bundle', 'init', '--channel', 'laptops', '--out', 'keys'], dir);
    expect([again.code, again.stderr]).toEqual([
      4,
      `cavra: channel_exists: ${join(dir, 'keys', 'root.json')} already exists\n`,
    ]);

    await cavra(['bundle', 'init', '--channel', 'laptops', '--out', 'keys'], dir);
    const packs = join(dir, 'packs');
    await import('node:fs/promises').then(({ mkdir }) => mkdir(packs));
    await writeFile(join(packs, 'team-base.yaml'), BASE);
    await writeFile(join(packs, 'team-base.test.yaml'), '[]\n');
    const push = [
      'bundle',
      'push',
      '--nats',
      cluster.servers[0] as string,
      '--nats',
      cluster.servers[1] as string,
    ];
    const first = await cavra([...push, '--channel', 'laptops', '--keys', 'keys', 'packs'], dir);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^published channel laptops revision 1 \(bundle-1\.json, sha256 [0-9a-f]{64}\)$/),
      'packs: team-base.yaml',
    ]);
    const second = await cavra(
      [...push, '--channel', 'laptops', '--keys', 'keys', '--json', 'packs/team-base.yaml'],
      dir,
    );
    const pushed = JSON.parse(second.stdout);
    expect(pushed).toMatchObject({
      schema_version: 'cavra.cli.bundle_push.v1',
      channel: 'laptops',
      revision: 2,
      target: 'bundle-2.json',
      packs: ['team-base.yaml'],
      key_ids: trust.key_ids,
    });

    await writeFile(
      join(packs, 'broken.yaml'),
      'metadata: {id: broken, version: 1.0.0}\ncommands: {block: 3}\n',
    );
    const objects = (await fleet.bundles.list()).length;
    const refused = await cavra([...push, '--channel', 'laptops', '--keys', 'keys', 'packs'], dir);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([
      3,
      '',
      'cavra: invalid_pack: policy pack broken.yaml: invalid_pack: /commands/block (line 2, column 12): must be array\n',
    ]);
    expect((await fleet.bundles.list()).length).toBe(objects);
    // The head names the revision, and what a woken daemon will read for it (a hint TUF still verifies).
    expect((await readBundleHead(fleet, 'laptops'))?.head).toEqual({
      revision: 2,
      target: 'bundle-2.json',
      reads: { snapshot: 2, targets: 2, digest: pushed.digest },
    });

    const older = await cavra(
      [...push, '--channel', 'laptops', '--keys', 'keys', '--revision', '2', 'packs/team-base.yaml'],
      dir,
    );
    expect([older.code, older.stderr]).toEqual([
      1,
      "cavra: older_revision: revision 2 does not exceed channel laptops's newest, 2\n",
    ]);
    expect(JSON.parse(await readFile(join(dir, 'keys', 'root.json'), 'utf8')).signed.version).toBe(1);
  });

  it('refuses a push without --nats, an unknown channel name, and NATS that is not there', async () => {
    const dir = tempDir();
    const missing = await cavra(['bundle', 'push', '--channel', 'c', '--keys', 'k', 'p'], dir);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: bundle push: --nats is required',
    ]);
    const badName = await cavra(['bundle', 'init', '--channel', 'Bad/Name', '--out', 'keys'], dir);
    expect([badName.code, badName.stderr]).toEqual([
      4,
      'cavra: invalid_channel: invalid channel name "Bad/Name": use lower-case letters, digits, - and _ (at most 64)\n',
    ]);
    await cavra(['bundle', 'init', '--channel', 'c', '--out', 'keys'], dir);
    await writeFile(join(dir, 'base.yaml'), BASE);
    const down = await cavra(
      ['bundle', 'push', '--nats', 'nats://127.0.0.1:1', '--channel', 'c', '--keys', 'keys', 'base.yaml'],
      dir,
    );
    expect([down.code, down.stderr.slice(0, 76)]).toEqual([
      1,
      'cavra: nats_unreachable: no NATS server of nats://127.0.0.1:1 could be reach',
    ]);
  });

  it('re-signs a channel (same revision, new expiry) and rotates its keys; daemons on the old root follow', async () => {
    const dir = tempDir();
    await cavra(['bundle', 'init', '--channel', 'rotated', '--out', 'keys'], dir);
    await writeFile(join(dir, 'base.yaml'), BASE);
    const nats = ['--nats', cluster.servers.join(','), '--channel', 'rotated', '--keys', 'keys'];
    expect((await cavra(['bundle', 'push', ...nats, 'base.yaml'], dir)).code).toBe(0);
    const resign = await cavra(['bundle', 'resign', ...nats, '--json'], dir);
    expect([resign.code, resign.stderr]).toEqual([0, '']);
    expect(JSON.parse(resign.stdout)).toMatchObject({
      schema_version: 'cavra.cli.bundle_resign.v1',
      channel: 'rotated',
      revision: 1,
    });
    const badRole = await cavra(['bundle', 'rotate', ...nats, '--role', 'owner'], dir);
    expect([badRole.code, badRole.stderr]).toEqual([
      4,
      'cavra: --role must be one of root, targets, snapshot, timestamp, not owner\n',
    ]);
    const rotate = await cavra(['bundle', 'rotate', ...nats, '--role', 'root', '--role', 'timestamp'], dir);
    expect([rotate.code, rotate.stderr, rotate.stdout.split('\n')[0]]).toEqual([
      0,
      '',
      'channel rotated: root version 2 published',
    ]);
    const bundle = await fetchVerifiedBundle({
      fleet,
      channel: 'rotated',
      trustedRootFile: join(dir, 'keys', 'root.json.v1'),
      metadataDir: join(dir, 'daemon', 'metadata'),
      targetDir: join(dir, 'daemon', 'targets'),
    });
    expect([bundle.revision, bundle.rootVersion, bundle.keyIds.timestamp]).toEqual([
      1,
      2,
      [JSON.parse(await readFile(join(dir, 'keys', 'root.json'), 'utf8')).signed.roles.timestamp.keyids[0]],
    ]);
  });
});
