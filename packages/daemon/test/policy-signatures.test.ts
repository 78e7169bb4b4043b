import { createPrivateKey } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePolicySigningKeyPair, signPolicyFile } from '@cavra/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { DaemonProcess, killDaemons } from './support/daemon-process.js';
import { evaluate, RawClient, REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const ALLOWS_NPM_TEST = 'metadata: {id: team, version: "1"}\ncommands:\n  allow: ["npm test"]\n';
const GATES_NPM_TEST = 'metadata: {id: team, version: "2"}\ncommands:\n  allow: ["npm run lint"]\n';

/** A daemon folder: a trusted and a stranger's key pair, the trusted public key on disk, a config requiring signed packs. */
async function setup() {
  const dir = tempDir();
  const trusted = generatePolicySigningKeyPair();
  const stranger = generatePolicySigningKeyPair();
  await writeFile(join(dir, 'policy.pub.pem'), trusted.publicKeyPem);
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    configFile,
    'socket_path: run/d.sock\nevidence_log: evidence.jsonl\npolicy_packs: [team.yaml]\n' +
      'policy_signatures: {trusted_keys: [policy.pub.pem]}\n',
  );
  const pack = join(dir, 'team.yaml');
  const writePack = async (text: string, signer?: typeof trusted) => {
    await writeFile(pack, text);
    if (signer)
      await signPolicyFile(pack, { privateKey: createPrivateKey(signer.privateKeyPem), keyId: 'ci' });
  };
  return { dir, configFile, pack, socketPath: join(dir, 'run', 'd.sock'), trusted, stranger, writePack };
}

async function decide(socketPath: string, command: string): Promise<string> {
  const client = await RawClient.connect(socketPath);
  client.send(
    evaluate('1', {
      ...REQUEST,
      action_type: 'execute_command',
      target: command,
      requested_operation: 'execute',
      policy_pack: 'team',
    }),
  );
  const answer = await client.next();
  client.socket.end();
  return answer?.decision.decision;
}

describe('a daemon that requires signed packs', () => {
  it('refuses to start with an unsigned pack or one signed by a key it does not trust, naming the file', async () => {
    const unsigned = await setup();
    await unsigned.writePack(ALLOWS_NPM_TEST);
    const stranger = await setup();
    await stranger.writePack(ALLOWS_NPM_TEST, stranger.stranger);
    const keyless = await setup();
    await keyless.writePack(ALLOWS_NPM_TEST, keyless.trusted);
    await rm(join(keyless.dir, 'policy.pub.pem'));
    const daemons = await Promise.all(
      [unsigned, stranger, keyless].map(({ configFile }) => DaemonProcess.start(configFile)),
    );
    expect(await Promise.all(daemons.map((daemon) => daemon.exited))).toEqual([1, 1, 1]);
    expect(daemons.map((daemon) => daemon.logs())).toEqual([
      [
        {
          level: 'error',
          msg: 'failed to start',
          error: `policy pack ${unsigned.pack}: unsigned: no signature file ${unsigned.pack}.sig.json (ENOENT)`,
        },
      ],
      [
        {
          level: 'error',
          msg: 'failed to start',
          error: `policy pack ${stranger.pack}: untrusted_key: ${stranger.pack}.sig.json: signed by key ${stranger.stranger.publicKeySha256} (key_id "ci"), which is not a trusted key`,
        },
      ],
      [
        {
          level: 'error',
          msg: 'failed to start',
          error: `policy signing key ${join(keyless.dir, 'policy.pub.pem')}: io: cannot read (ENOENT)`,
        },
      ],
    ]);
  });

  it('starts with a trusted signature, keeps its policy through a reload of a changed or foreign-signed pack, and takes a re-signed one', async () => {
    const { configFile, pack, socketPath, trusted, stranger, writePack } = await setup();
    await writePack(ALLOWS_NPM_TEST, trusted);
    const daemon = await DaemonProcess.start(configFile, socketPath);
    expect(await decide(socketPath, 'npm test')).toBe('allow');
    const signatureLog = [
      { file: pack, key_id: 'ci', signer: 'local', public_key_sha256: trusted.publicKeySha256 },
    ];
    expect(daemon.logs()[0]).toMatchObject({ msg: 'listening', policy_signatures: signatureLog });

    const reload = async (count: number) => {
      daemon.child.kill('SIGHUP');
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const done = daemon.logs().filter((line) => /^reload/.test(line.msg as string));
        if (done.length === count) return done[count - 1];
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`no reload outcome: ${daemon.stderr}`);
    };

    // Edited after signing: the old signature no longer covers the bytes.
    await writeFile(pack, GATES_NPM_TEST);
    const digest = (await import('node:crypto')).createHash('sha256').update(GATES_NPM_TEST).digest('hex');
    expect(await reload(1)).toEqual({
      level: 'error',
      msg: 'reload failed; keeping the current policy and keys',
      error: expect.stringMatching(
        new RegExp(
          `^policy pack ${pack}: bad_signature: ${pack}\\.sig\\.json: signs digest sha256:[0-9a-f]{64}, but the file's digest is sha256:${digest}$`,
        ),
      ),
    });
    expect(await decide(socketPath, 'npm test')).toBe('allow');

    await writePack(GATES_NPM_TEST, stranger);
    expect(await reload(2)).toMatchObject({
      level: 'error',
      error: expect.stringContaining(': untrusted_key: '),
    });
    expect(await decide(socketPath, 'npm test')).toBe('allow');

    await writePack(GATES_NPM_TEST, trusted);
    expect(await reload(3)).toMatchObject({ msg: 'reloaded', policy_signatures: signatureLog });
    expect(await decide(socketPath, 'npm test')).toBe('require_approval');
    expect(await daemon.stop()).toBe(0);
  });
});
