import { createHmac } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signRunnerClaims } from '@cavra/auth';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { createClient } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hashBody } from '../src/evidence-record.js';
import { evidenceLogId, GENESIS_HASH } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { evaluate, RawClient, REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const EVIDENCE_SECRET = 'evidence-test-secret-0123456789abcdef';
const RUNNER_SECRET = 'runner-test-secret-0123456789abcdef-x';

async function setup(extra: string) {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(configFile, `socket_path: run/d.sock\nevidence_log: evidence.jsonl\n${extra}`);
  return { dir, configFile, socketPath: join(dir, 'run', 'd.sock'), evidence: join(dir, 'evidence.jsonl') };
}

type Line = Record<string, unknown> & { prev: string; hash: string; signature?: Record<string, string> };

/** Rewrites a log as an attacker with write access would: edit, then recompute every hash and prev. */
function rewrite(lines: Line[], edit: (record: Line, index: number) => Line): string {
  let prev = GENESIS_HASH;
  return lines
    .map((line, index) => {
      const { hash: _hash, signature, ...body } = edit(line, index);
      const record = { ...body, prev } as Line;
      const hash = hashBody(record as never);
      prev = hash;
      return `${JSON.stringify({ ...record, hash, ...(signature ? { signature } : {}) })}\n`;
    })
    .join('');
}

describe('keyed evidence', () => {
  it('signs every record over schema, log id, prev and hash; verify checks it, and a rewrite with recomputed hashes fails', async () => {
    const { dir, configFile, socketPath, evidence } = await setup(
      'evidence_signing: {key_id: evidence-2026, secret_file: evidence.key}\n',
    );
    await writeFile(join(dir, 'evidence.key'), `${EVIDENCE_SECRET}\n`, { mode: 0o600 });
    const daemon = await DaemonProcess.start(configFile, socketPath);
    const client = createClient({ socketPath });
    for (const target of ['.env', 'README.md', 'src/a.ts']) await client.evaluate({ ...REQUEST, target });
    await client.close();
    expect(await daemon.stop()).toBe(0);

    const text = await readFile(evidence, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    const logId = evidenceLogId(evidence);
    for (const record of lines) {
      // The signed text, byte for byte: schema, log id, prev and hash, each on its own line.
      const value = createHmac('sha256', EVIDENCE_SECRET)
        .update(`cavra.daemon.evidence.v2\n${logId}\n${record.prev}\n${record.hash}`)
        .digest('hex');
      expect(record.signature).toEqual({ algorithm: 'HMAC-SHA256', key_id: 'evidence-2026', value });
    }
    const keyFile = join(dir, 'evidence.key');
    const verify = (name: string, ...options: string[]) =>
      cli(['evidence', 'verify', join(dir, name), ...options]);
    const last = lines[2]?.hash as string;
    expect(await verify('evidence.jsonl', '--key-file', keyFile, '--key-id', 'evidence-2026')).toEqual({
      code: 0,
      stdout: `${evidence}: 3 records, chain intact, 3 signatures verified\nlast hash ${last}\n`,
      stderr: '',
    });

    // README.md was allowed; the attacker makes it a block and recomputes every hash, keeping or dropping signatures.
    const edit = (record: Line, index: number) =>
      index === 1 ? { ...record, decision: { ...(record.decision as object), decision: 'block' } } : record;
    await writeFile(join(dir, 'kept.jsonl'), rewrite(lines, edit));
    await writeFile(
      join(dir, 'dropped.jsonl'),
      rewrite(lines, (record, index) => {
        const { signature: _signature, ...bare } = edit(record, index);
        return bare as Line;
      }),
    );
    const kept = await verify('kept.jsonl', '--key-file', keyFile, '--log-id', logId);
    expect([kept.code, kept.stdout.split('\n').slice(2)]).toEqual([
      1,
      [
        'line 2: bad_signature: signature does not match the record (rewritten, or signed with another key)',
        'line 3: bad_signature: signature does not match the record (rewritten, or signed with another key)',
        '',
      ],
    ]);
    const dropped = await verify('dropped.jsonl', '--key-file', keyFile, '--log-id', logId);
    expect([dropped.code, dropped.stdout.split('\n')[0], dropped.stdout.split('\n').slice(2, 5)]).toEqual([
      1,
      `${join(dir, 'dropped.jsonl')}: 3 records, 3 problems`,
      [
        'line 1: unsigned: record carries no signature',
        'line 2: unsigned: record carries no signature',
        'line 3: unsigned: record carries no signature',
      ],
    ]);
    // Without the key, a signed log is never called intact: the chain alone cannot tell the rewrite.
    const unchecked = await verify('kept.jsonl');
    expect([unchecked.code, unchecked.stdout.split('\n')[2]]).toEqual([
      1,
      "line 1: signature_unchecked: record is signed (key 'evidence-2026') but no key was given to check it: pass --key-file or --key-env",
    ]);
    const wrongId = await verify('evidence.jsonl', '--key-file', keyFile, '--key-id', 'other');
    expect([wrongId.code, wrongId.stdout.split('\n')[2]]).toEqual([
      1,
      "line 1: wrong_key: signed with key 'evidence-2026', not 'other'",
    ]);

    // The daemon itself refuses to extend a rewritten log, or a signed one without its key.
    await rename(join(dir, 'kept.jsonl'), evidence);
    const refused = await DaemonProcess.start(configFile);
    expect(await refused.exited).toBe(1);
    expect(refused.logs()[0]?.error).toBe(
      `evidence log ${evidence} does not verify (record 2: signature does not match the record (rewritten, or signed with another key)); refusing to extend it`,
    );
    await writeFile(evidence, text);
    await writeFile(configFile, 'socket_path: run/d.sock\nevidence_log: evidence.jsonl\n');
    const keyless = await DaemonProcess.start(configFile);
    expect(await keyless.exited).toBe(1);
    expect(keyless.logs()[0]?.error).toBe(
      `evidence log ${evidence} does not verify (record 1: record is signed (key 'evidence-2026') but no key was given to check it: pass --key-file or --key-env): configure the same evidence_signing key to extend this log; refusing to extend it`,
    );
  });
});

describe('evidence bound to its log', () => {
  const signing = 'evidence_signing: {key_id: evidence-2026, secret_file: evidence.key}\n';
  async function signedLog() {
    const paths = await setup(signing);
    await writeFile(join(paths.dir, 'evidence.key'), `${EVIDENCE_SECRET}\n`, { mode: 0o600 });
    const daemon = await DaemonProcess.start(paths.configFile, paths.socketPath);
    const client = createClient({ socketPath: paths.socketPath });
    await client.evaluate({ ...REQUEST, target: 'README.md' });
    await client.close();
    expect(await daemon.stop()).toBe(0);
    return { ...paths, keyFile: join(paths.dir, 'evidence.key'), logId: evidenceLogId(paths.evidence) };
  }
  const legacy = (line: Line) => ({
    ...line,
    signature: {
      ...line.signature,
      value: createHmac('sha256', EVIDENCE_SECRET)
        .update(`cavra.daemon.evidence.v1\n${line.prev}\n${line.hash}`)
        .digest('hex'),
    },
  });
  const readLog = async (path: string) =>
    (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
  const text = (lines: Line[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

  it("refuses another log signed with the same key in this one's place; verifies a copy with --log-id", async () => {
    const a = await signedLog();
    const b = await signedLog();
    const fromB = await readFile(b.evidence, 'utf8');
    await writeFile(a.evidence, fromB);
    const refused = await DaemonProcess.start(a.configFile);
    expect(await refused.exited).toBe(1);
    expect(refused.logs()[0]?.error).toBe(
      `evidence log ${a.evidence} does not verify (record 1: record was signed for evidence log ${b.logId}, not ${a.logId}: it comes from another log); refusing to extend it`,
    );
    const last = (await readLog(b.evidence))[0]?.hash;
    expect(await cli(['evidence', 'verify', a.evidence, '--key-file', a.keyFile])).toEqual({
      code: 1,
      stdout: `${a.evidence}: 1 record, 1 problem\nlast hash ${last}\nline 1: wrong_log: record was signed for evidence log ${b.logId}, not ${a.logId}: it comes from another log\n`,
      stderr: '',
    });
    expect(
      await cli(['evidence', 'verify', a.evidence, '--key-file', a.keyFile, '--log-id', b.logId]),
    ).toEqual({
      code: 0,
      stdout: `${a.evidence}: 1 record, chain intact, 1 signature verified\nlast hash ${last}\n`,
      stderr: '',
    });
    expect((await cli(['evidence', 'verify', a.evidence, '--log-id', 'nope'])).stderr).toBe(
      'cavra-daemon: --log-id must be an evidence log id: 16 lowercase hex digits\n\n' +
        (await cli(['--help'])).stdout,
    );
  });

  it('still verifies and extends a log signed in the legacy form, but never a legacy record after a bound one', async () => {
    const a = await signedLog();
    await writeFile(a.evidence, text((await readLog(a.evidence)).map(legacy)));
    const [first] = await readLog(a.evidence);
    expect(await cli(['evidence', 'verify', a.evidence, '--key-file', a.keyFile])).toEqual({
      code: 0,
      stdout: `${a.evidence}: 1 record, chain intact, 1 signature verified (1 in the legacy form, not bound to this log)\nlast hash ${first?.hash}\n`,
      stderr: '',
    });
    const daemon = await DaemonProcess.start(a.configFile, a.socketPath);
    const client = createClient({ socketPath: a.socketPath });
    await client.evaluate({ ...REQUEST, target: 'src/a.ts' });
    await client.close();
    expect(await daemon.stop()).toBe(0);
    const extended = await readLog(a.evidence);
    expect(await cli(['evidence', 'verify', a.evidence, '--key-file', a.keyFile])).toEqual({
      code: 0,
      stdout: `${a.evidence}: 2 records, chain intact, 2 signatures verified (1 in the legacy form, not bound to this log)\nlast hash ${extended[1]?.hash}\n`,
      stderr: '',
    });
    // A legacy record after a bound one: only a record from elsewhere can be that.
    const bound = (line: Line) => ({
      ...line,
      signature: {
        ...line.signature,
        value: createHmac('sha256', EVIDENCE_SECRET)
          .update(`cavra.daemon.evidence.v2\n${a.logId}\n${line.prev}\n${line.hash}`)
          .digest('hex'),
      },
    });
    await writeFile(a.evidence, text([bound(extended[0] as Line), legacy(extended[1] as Line)]));
    const spliced = await cli(['evidence', 'verify', a.evidence, '--key-file', a.keyFile]);
    expect([spliced.code, spliced.stdout.split('\n')[2]]).toEqual([
      1,
      'line 2: legacy_after_bound: signature is in the legacy form (cavra.daemon.evidence.v1, bound to no log) after records bound to this log',
    ]);
  });
});

describe('HMAC replay protection', () => {
  it('survives a reload, a restart and a crash: the seen signatures are restored from the evidence log', async () => {
    const { dir, configFile, socketPath } = await setup(
      'runner_auth:\n  required: true\n  hmac: {keys: [{key_id: ci, secret_file: runner.key}]}\n',
    );
    await writeFile(join(dir, 'runner.key'), RUNNER_SECRET, { mode: 0o600 });
    const request = signRunnerClaims(
      { ...REQUEST, target: 'README.md' },
      { keyId: 'ci', secret: RUNNER_SECRET },
    );
    const signed = EvaluateRequestCodec.toJSON(request);
    const ask = async (id: string) => {
      const connection = await RawClient.connect(socketPath);
      connection.send(evaluate(id, signed));
      const answer = await connection.next();
      connection.socket.end();
      return `${answer?.decision?.decision} ${answer?.decision?.rule_id}`;
    };
    const replayed = 'block runner_auth.invalid';

    const first = await DaemonProcess.start(configFile, socketPath);
    expect(await ask('a')).toBe('allow filesystem.read.allow');
    expect(await ask('b')).toBe(replayed);
    expect(await first.stop()).toBe(0);

    const restarted = await DaemonProcess.start(configFile, socketPath);
    expect(await ask('c')).toBe(replayed); // the signature is still valid: remembered from the log
    restarted.child.kill('SIGHUP');
    await restarted.logged('reloaded');
    expect(await ask('d')).toBe(replayed); // a reload builds a new authenticator, not a new cache
    expect(await restarted.stop('SIGKILL')).toBe(null); // a crash: nothing is closed cleanly
    const successor = await DaemonProcess.start(configFile, socketPath);
    expect(await ask('e')).toBe(replayed);
    expect(await successor.stop()).toBe(0);

    const records = (await readFile(join(dir, 'evidence.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((record) => record.decision.reason)).toEqual([
      records[0].decision.reason,
      ...Array(4).fill('runner authentication failed: replayed: this signature was already used'),
    ]);
    expect(records[0].decision.rule_id).toBe('filesystem.read.allow');
    expect(typeof records[0].runner.replayKey).toBe('string');
    expect(JSON.stringify(records)).not.toContain(request.runner_auth?.signature as string);
  });

  // Ten daemon processes started one after another (and two stops through the CLI): 56 s once on a loaded 2-core CI
  // machine, and over the suite's 60 s another time.
  it('survives a cut or deleted log: refused without --accept-truncated, and a used signature stays used', {
    timeout: 180_000,
  }, async () => {
    const { dir, configFile, socketPath, evidence } = await setup(
      'runner_auth:\n  required: true\n  hmac: {keys: [{key_id: ci, secret_file: runner.key}]}\n',
    );
    await writeFile(join(dir, 'runner.key'), RUNNER_SECRET, { mode: 0o600 });
    const signed = EvaluateRequestCodec.toJSON(
      signRunnerClaims({ ...REQUEST, target: 'README.md' }, { keyId: 'ci', secret: RUNNER_SECRET }),
    );
    const ask = async (id: string) => {
      const connection = await RawClient.connect(socketPath);
      connection.send(evaluate(id, signed));
      const answer = await connection.next();
      connection.socket.end();
      return `${answer?.decision?.decision} ${answer?.decision?.reason}`;
    };
    const replayed = 'block runner authentication failed: replayed: this signature was already used';
    const acceptTruncated = () =>
      DaemonProcess.start(configFile, socketPath, {}, undefined, ['--accept-truncated']);
    const records = async () =>
      (await readFile(evidence, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const hint =
      'Restore it, or start with --accept-truncated to go on from what is there (recorded in the evidence)';

    const first = await DaemonProcess.start(configFile, socketPath);
    expect(await ask('a')).toMatch(/^allow /);
    expect(await first.stop()).toBe(0);
    const [used] = await records();
    const bytes = (await readFile(evidence)).length;
    // The journal beside the log holds the signature's replay key, owner-only.
    expect(await readFile(`${evidence}.replay`, 'utf8')).toBe(
      `${JSON.stringify({ key: used.runner.replayKey, until: Date.parse(used.runner.expiresAt) + 60_000 })}\n`,
    );
    expect(statSync(`${evidence}.replay`).mode & 0o777).toBe(0o600);

    // Cut: the log is shorter than its checkpoint.
    await writeFile(evidence, '');
    const cut = await DaemonProcess.start(configFile);
    expect(await cut.exited).toBe(1);
    expect(cut.logs()[0]?.error).toBe(
      `evidence log ${evidence} holds 0 records (0 bytes) but its checkpoint ${evidence}.checkpoint says it held 1 record (${bytes} bytes): it was cut; refusing to extend it. ${hint}`,
    );
    const afterCut = await acceptTruncated();
    expect(await ask('b')).toBe(replayed);
    expect(await afterCut.stop()).toBe(0);
    const [accepted, refusedAgain] = await records();
    expect(accepted).toMatchObject({
      seq: 1,
      event: {
        type: 'truncation_accepted',
        checkpoint: { seq: 1, bytes, hash: used.hash },
        found: { records: 0, bytes: 0, missing: false },
      },
    });
    expect(Object.keys(accepted)).toEqual(['seq', 'prev', 'recorded_at', 'event', 'hash']);
    expect(refusedAgain.decision.reason).toBe(replayed.slice('block '.length));

    // Deleted: the log is gone while its checkpoint says it held two records.
    const twoBytes = (await readFile(evidence)).length;
    await rm(evidence);
    const deleted = await DaemonProcess.start(configFile);
    expect(await deleted.exited).toBe(1);
    expect(deleted.logs()[0]?.error).toBe(
      `evidence log ${evidence} is missing but its checkpoint ${evidence}.checkpoint says it held 2 records (${twoBytes} bytes): it was deleted or moved; refusing to start a new one. ${hint}`,
    );
    expect(existsSync(evidence)).toBe(false); // refused before a new log was made
    // The background start says why, and passes --accept-truncated on to the daemon it starts.
    const background = await cli(['start', '--config', configFile]);
    expect([background.code, background.stderr.split('\n')[0]]).toEqual([
      1,
      `cavra-daemon failed to start: ${deleted.logs()[0]?.error}`,
    ]);
    expect((await cli(['start', '--config', configFile, '--accept-truncated'])).code).toBe(0);
    expect(await ask('c')).toBe(replayed);
    expect(await cli(['stop', '--config', configFile])).toMatchObject({ code: 0 });
    expect((await cli(['stop', '--config', configFile, '--accept-truncated'])).stderr).toMatch(
      /^cavra-daemon: --accept-truncated is an option of start\n/,
    );
    expect((await records()).map((record) => record.event?.found ?? record.decision.rule_id)).toEqual([
      { records: 0, bytes: 0, missing: true },
      'runner_auth.invalid',
    ]);

    // Log and checkpoint both gone: nothing tells the cut, and still the journal keeps the signature used.
    await rm(evidence);
    await rm(`${evidence}.checkpoint`);
    const unaware = await DaemonProcess.start(configFile, socketPath);
    expect(await ask('d')).toBe(replayed);
    expect(await unaware.stop()).toBe(0);
  });
});
