import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_POLICY_DIR,
  generatePolicySigningKeyPair,
  loadPolicyPackFile,
  loadPolicySigningKey,
  loadTrustedPolicyKeys,
  PolicyPackError,
  PolicySigningKeyError,
  policyKeySha256,
  signPolicyFile,
  type TrustedPolicyKey,
  toCompiledPackJson,
  trustedPolicyKey,
  type VerifiedPolicySignature,
  verifyPolicyFile,
} from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/signatures/', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cavra-sig-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function refusal(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error instanceof PolicyPackError || error instanceof PolicySigningKeyError)
    return { code: error.code, message: error.message };
  throw new Error(`expected a typed refusal, got ${String(error)}`);
}

/** An Ed25519 key pair written as upstream's keygen writes it: PKCS#8 and SubjectPublicKeyInfo PEM files. */
async function keyFiles(name: string) {
  const pair = generatePolicySigningKeyPair();
  const privateFile = join(dir, `${name}.key.pem`);
  const publicFile = join(dir, `${name}.pub.pem`);
  await writeFile(privateFile, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(publicFile, pair.publicKeyPem);
  return { ...pair, privateFile, publicFile };
}

const PACK = 'metadata: {id: team, version: "1"}\ncommands:\n  allow: ["npm test"]\n';

describe("upstream's signature files", () => {
  it('verifies a pack signed by the Python toolchain (cryptography library, upstream format)', async () => {
    const keys = await loadTrustedPolicyKeys([join(FIXTURES, 'python-signer.pub.pem')]);
    const verified = await verifyPolicyFile(join(FIXTURES, 'team-pack.yaml'), keys);
    expect(verified).toEqual({
      file: join(FIXTURES, 'team-pack.yaml'),
      signatureFile: join(FIXTURES, 'team-pack.yaml.sig.json'),
      digest: 'sha256:397eb8725b80deb6e155feb8e91d4c1ab88f5efe571250f5315de0af397a97bc',
      keyId: 'platform-security-2026',
      signer: 'platform-security',
      publicKeySha256: 'f0ff50dacf109dea7f716d7c03eb7a821aa3a283fd3fa02f4c14dbba7d3c3322',
      trustedKey: join(FIXTURES, 'python-signer.pub.pem'),
    });
  });

  it('verifies a signature file computed independently, field by field, with node:crypto', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // The public key PEM built by hand from the raw 32 key bytes: the SubjectPublicKeyInfo DER prefix of Ed25519.
    const raw = publicKey.export({ format: 'jwk' }).x as string;
    const der = Buffer.concat([
      Buffer.from('302a300506032b6570032100', 'hex'),
      Buffer.from(raw, 'base64url'),
    ]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const pack = join(dir, 'hand.yaml');
    const bytes = Buffer.from(PACK);
    await writeFile(pack, bytes);
    const sidecar = {
      schema_version: 'cavra.policy-signature.v1',
      algorithm: 'Ed25519',
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      signature: sign(null, bytes, privateKey).toString('base64'),
      signed_at: '2026-11-30T06:00:00.000001+00:00',
      signer: 'local',
      key_id: 'local',
      public_key_sha256: createHash('sha256').update(pem).digest('hex'),
      policy_file: 'hand.yaml',
    };
    await writeFile(`${pack}.sig.json`, JSON.stringify(sidecar, null, 2));
    const verified = await verifyPolicyFile(pack, [trustedPolicyKey(pem, 'hand.pub.pem')]);
    expect([verified.keyId, verified.publicKeySha256, verified.trustedKey]).toEqual([
      'local',
      sidecar.public_key_sha256,
      'hand.pub.pem',
    ]);
  });

  it('writes a signature file that upstream verifies: its checks redone independently with node:crypto', async () => {
    const keys = await keyFiles('ours');
    const pack = join(dir, 'ours.yaml');
    await writeFile(pack, PACK);
    const { signatureFile, signature } = await signPolicyFile(pack, {
      privateKey: await loadPolicySigningKey(keys.privateFile),
      signer: 'release-bot',
      signedAt: new Date('2026-11-30T06:30:00.000Z'),
    });
    expect(signatureFile).toBe(`${pack}.sig.json`);
    const written = JSON.parse(await readFile(signatureFile, 'utf8'));
    expect(written).toEqual(signature);
    const bytes = await readFile(pack);
    const publicFileBytes = await readFile(keys.publicFile);
    expect(written).toEqual({
      schema_version: 'cavra.policy-signature.v1',
      algorithm: 'Ed25519',
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/),
      signed_at: '2026-11-30T06:30:00.000Z',
      signer: 'release-bot',
      key_id: 'release-bot',
      // Upstream compares this with SHA-256 over the bytes of the public key file it is given.
      public_key_sha256: createHash('sha256').update(publicFileBytes).digest('hex'),
      policy_file: 'ours.yaml',
    });
    expect(
      verify(null, bytes, createPublicKey(publicFileBytes), Buffer.from(written.signature, 'base64')),
    ).toBe(true);
    // The private key file is the PKCS#8 PEM upstream loads, and it belongs to that public key.
    const privatePem = await readFile(keys.privateFile, 'utf8');
    expect(privatePem).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]{64}\n-----END PRIVATE KEY-----\n$/,
    );
    expect(policyKeySha256(createPrivateKey(privatePem))).toBe(keys.publicKeySha256);
  });

  it('finds the key by its fingerprint whatever the line endings of the trusted key file', async () => {
    const keys = await keyFiles('crlf');
    const crlf = join(dir, 'crlf-copy.pub.pem');
    await writeFile(crlf, keys.publicKeyPem.replaceAll('\n', '\r\n'));
    const pack = join(dir, 'crlf.yaml');
    await writeFile(pack, PACK);
    await signPolicyFile(pack, { privateKey: createPrivateKey(keys.privateKeyPem) });
    expect((await verifyPolicyFile(pack, await loadTrustedPolicyKeys([crlf]))).publicKeySha256).toBe(
      keys.publicKeySha256,
    );
  });
});

describe('refused signatures', () => {
  let signer: Awaited<ReturnType<typeof keyFiles>>;
  let trusted: TrustedPolicyKey[];
  let pack: string;
  let good: Record<string, string>;

  beforeAll(async () => {
    signer = await keyFiles('signer');
    trusted = await loadTrustedPolicyKeys([signer.publicFile]);
    pack = join(dir, 'refused.yaml');
    await writeFile(pack, PACK);
    good = (await signPolicyFile(pack, { privateKey: createPrivateKey(signer.privateKeyPem) }))
      .signature as unknown as Record<string, string>;
  });

  const withSidecar = async (sidecar: unknown, bytes = PACK) => {
    const file = join(dir, `case-${Math.random().toString(16).slice(2)}.yaml`);
    await writeFile(file, bytes);
    await writeFile(`${file}.sig.json`, typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
    return file;
  };

  it('refuses a pack changed after signing, naming the pack and its signature file', async () => {
    const file = await withSidecar(good, PACK.replace('npm test', 'npm tesT'));
    const digest = `sha256:${createHash('sha256').update(PACK.replace('npm test', 'npm tesT')).digest('hex')}`;
    expect(await refusal(verifyPolicyFile(file, trusted))).toEqual({
      code: 'bad_signature',
      message: `policy pack ${file}: bad_signature: ${file}.sig.json: signs digest ${good.digest}, but the file's digest is ${digest}`,
    });
  });

  it('refuses a signature over other bytes even when the digest field was edited to match', async () => {
    const other = PACK.replace('npm test', 'npm run lint');
    const file = await withSidecar(
      { ...good, digest: `sha256:${createHash('sha256').update(other).digest('hex')}` },
      other,
    );
    expect(await refusal(verifyPolicyFile(file, trusted))).toEqual({
      code: 'bad_signature',
      message: `policy pack ${file}: bad_signature: ${file}.sig.json: the signature does not verify with trusted key ${signer.publicFile}`,
    });
  });

  it('refuses a signature by a key that is not trusted', async () => {
    const stranger = await keyFiles('stranger');
    const file = join(dir, 'stranger.yaml');
    await writeFile(file, PACK);
    await signPolicyFile(file, { privateKey: createPrivateKey(stranger.privateKeyPem), keyId: 'someone' });
    expect(await refusal(verifyPolicyFile(file, trusted))).toEqual({
      code: 'untrusted_key',
      message: `policy pack ${file}: untrusted_key: ${file}.sig.json: signed by key ${stranger.publicKeySha256} (key_id "someone"), which is not a trusted key`,
    });
  });

  it('refuses a pack without a signature file', async () => {
    const file = join(dir, 'unsigned.yaml');
    await writeFile(file, PACK);
    expect(await refusal(verifyPolicyFile(file, trusted))).toEqual({
      code: 'unsigned',
      message: `policy pack ${file}: unsigned: no signature file ${file}.sig.json (ENOENT)`,
    });
  });

  it("refuses upstream's shared-secret and checksum forms, malformed files and unknown keys", async () => {
    const hs256 = await withSidecar({ ...good, algorithm: 'HS256' });
    const sha256 = await withSidecar({ ...good, algorithm: 'SHA256' });
    const notJson = await withSidecar('{"schema_version": ');
    const extra = await withSidecar({ ...good, signature: 'abc', comment: 'x' });
    const results = await Promise.all(
      [hs256, sha256, notJson, extra].map((file) => refusal(verifyPolicyFile(file, trusted))),
    );
    expect(results).toEqual([
      {
        code: 'bad_signature',
        message: `policy pack ${hs256}.sig.json: bad_signature: /algorithm: HS256 is not accepted: only Ed25519 signatures by a trusted key are (HS256 can be forged by anyone holding the shared secret, SHA256 by anyone)`,
      },
      {
        code: 'bad_signature',
        message: `policy pack ${sha256}.sig.json: bad_signature: /algorithm: SHA256 is not accepted: only Ed25519 signatures by a trusted key are (HS256 can be forged by anyone holding the shared secret, SHA256 by anyone)`,
      },
      {
        code: 'bad_signature',
        message: expect.stringMatching(
          new RegExp(`^policy pack ${notJson}\\.sig\\.json: bad_signature: not JSON \\(.+\\)$`),
        ),
      },
      {
        code: 'bad_signature',
        message: `policy pack ${extra}.sig.json: bad_signature: /comment: is not a known key; /signature: must match pattern "^[A-Za-z0-9+/]{86}==$"`,
      },
    ]);
  });

  it('refuses keys that are not Ed25519 public keys, naming the file', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaFile = join(dir, 'rsa.pub.pem');
    await writeFile(rsaFile, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a key');
    const results = await Promise.all([
      refusal(loadTrustedPolicyKeys([rsaFile])),
      refusal(loadTrustedPolicyKeys([garbage])),
      refusal(loadTrustedPolicyKeys([join(dir, 'missing.pem')])),
      refusal(loadPolicySigningKey(signer.publicFile)),
    ]);
    expect(results.map(({ code, message }) => [code, message.split(' (')[0]])).toEqual([
      ['invalid_key', `policy signing key ${rsaFile}: invalid_key: an Ed25519 key is required, not rsa`],
      ['invalid_key', `policy signing key ${garbage}: invalid_key: not a PEM public key`],
      ['io', `policy signing key ${join(dir, 'missing.pem')}: io: cannot read`],
      ['invalid_key', `policy signing key ${signer.publicFile}: invalid_key: not a PEM private key`],
    ]);
  });
});

describe('loading packs that must be signed', () => {
  it('verifies every file read, parents included, over the bytes it parses; shipped packs need none', async () => {
    const keys = await keyFiles('loader');
    const privateKey = createPrivateKey(keys.privateKeyPem);
    const trusted = await loadTrustedPolicyKeys([keys.publicFile]);
    const folder = await mkdtemp(join(dir, 'chain-'));
    const parent = join(folder, 'org-parent.yaml');
    const child = join(folder, 'team-child.yaml');
    await writeFile(
      parent,
      'metadata: {id: org-parent, version: "1", inherits: cavra-ai-agent-baseline}\ncommands: {block: ["curl *"]}\n',
    );
    await writeFile(child, 'metadata: {id: team-child, version: "1", inherits: org-parent}\n');
    await signPolicyFile(child, { privateKey });
    expect(await refusal(loadPolicyPackFile(child, { trustedKeys: trusted }))).toEqual({
      code: 'unsigned',
      message: `policy pack ${parent}: unsigned: no signature file ${parent}.sig.json (ENOENT)`,
    });
    await signPolicyFile(parent, { privateKey, signer: 'org' });
    const verified: VerifiedPolicySignature[] = [];
    const pack = await loadPolicyPackFile(child, {
      trustedKeys: trusted,
      onVerified: (signature) => verified.push(signature),
    });
    expect(pack.resolved.metadata.inherits).toEqual(['org-parent', 'cavra-ai-agent-baseline']);
    expect(verified.map(({ file, signer }) => [file, signer])).toEqual([
      [child, 'local'],
      [parent, 'org'],
    ]);
    // The built-in baseline, loaded as a parent or named directly, is part of the installed package.
    await expect(
      loadPolicyPackFile(join(BUILTIN_POLICY_DIR, 'cavra-ai-agent-baseline.yaml'), { trustedKeys: trusted }),
    ).resolves.toMatchObject({ id: 'cavra-ai-agent-baseline' });
    // A copy of it outside the package is a pack file like any other.
    const copy = join(folder, 'copy.yaml');
    await copyFile(join(BUILTIN_POLICY_DIR, 'cavra-ai-agent-baseline.yaml'), copy);
    expect((await refusal(loadPolicyPackFile(copy, { trustedKeys: trusted }))).code).toBe('unsigned');
  });

  it('signs and verifies the compiled JSON form as the bytes it is', async () => {
    const keys = await keyFiles('compiled');
    const child = join(dir, 'compiled-source.yaml');
    await writeFile(child, PACK);
    const compiled = join(dir, 'team.compiled.json');
    await writeFile(compiled, toCompiledPackJson(await loadPolicyPackFile(child)));
    await signPolicyFile(compiled, { privateKey: createPrivateKey(keys.privateKeyPem) });
    const trusted = await loadTrustedPolicyKeys([keys.publicFile]);
    expect((await loadPolicyPackFile(compiled, { trustedKeys: trusted })).id).toBe('team');
  });
});
