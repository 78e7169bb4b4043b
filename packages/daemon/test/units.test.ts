import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EvidenceLog,
  type EvidenceRecord,
  type FrameError,
  FrameSplitter,
  parseFrame,
  resolveDaemonConfig,
  verifyEvidenceLog,
} from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

/** Field 22 of /proc/<pid>/stat: when the process started. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19] as string;
}

describe('FrameSplitter', () => {
  it('splits across chunks into byte frames (the decoder drops a CR), drops blank lines, bounds unfinished frames', () => {
    const splitter = new FrameSplitter(8);
    expect(splitter.push(Buffer.from('{"a"'))).toEqual({ frames: [], oversize: false });
    expect(splitter.push(Buffer.from(':1}\n\n\r\n{}\r\n{'))).toEqual({
      frames: [Buffer.from('{"a":1}'), Buffer.from('{}\r')],
      oversize: false,
    });
    expect(splitter.pendingBytes).toBe(1);
    expect(splitter.push(Buffer.from('12345678'))).toEqual({ frames: [], oversize: true });
    expect(new FrameSplitter(4).push(Buffer.from('12345\n'))).toEqual({ frames: [], oversize: true });
  });

  it('hands over the unfinished frame when the stream ends (a half-close ends the last frame)', () => {
    const splitter = new FrameSplitter(64);
    expect(splitter.push(Buffer.from('{"a":1}\n{"b"'))).toEqual({
      frames: [Buffer.from('{"a":1}')],
      oversize: false,
    });
    expect(splitter.end()).toEqual(Buffer.from('{"b"'));
    expect([splitter.pendingBytes, splitter.end()]).toEqual([0, undefined]);
    splitter.push(Buffer.from(' \r'));
    expect(splitter.end()).toBeUndefined();
  });
});

describe('parseFrame', () => {
  const error = (text: string) => {
    try {
      parseFrame(text);
    } catch (e) {
      return [(e as FrameError).code, (e as FrameError).id, (e as FrameError).message];
    }
    return undefined;
  };

  it('reads v1 frames and the bare compatibility form', () => {
    expect(parseFrame('{"v":1,"id":"a","type":"health"}')).toEqual({ kind: 'health', id: 'a' });
    expect(parseFrame('{"v":1,"id":"a","type":"evaluate","request":{},"correlation_id":"t-1"}')).toEqual({
      kind: 'evaluate',
      id: 'a',
      request: {},
      correlationId: 't-1',
    });
    expect(parseFrame('{"session_id":"s"}')).toEqual({
      kind: 'evaluate',
      id: undefined,
      request: { session_id: 's' },
    });
  });

  it.each([
    ['{"v":1,', 'invalid_json', null, 'frame is not valid JSON'],
    ['[1,2]', 'invalid_frame', null, 'frame must be a JSON object'],
    ['{"v":2,"id":"a","type":"health"}', 'invalid_frame', 'a', 'v must be 1'],
    ['{"v":1,"type":"health"}', 'invalid_frame', null, 'id must be a string of 1 to 128 characters'],
    [
      `{"v":1,"id":"${'x'.repeat(129)}","type":"health"}`,
      'invalid_frame',
      null,
      'id must be a string of 1 to 128 characters',
    ],
    [
      '{"v":1,"id":"a","type":"shutdown"}',
      'invalid_frame',
      'a',
      'type must be one of evaluate, health, refusal, approval_list, approval_show, approval_review, action_outcome',
    ],
    ['{"v":1,"id":"a","type":"health","extra":1}', 'invalid_frame', 'a', 'unknown frame key "extra"'],
    [
      '{"v":1,"id":"a","type":"evaluate","request":"x"}',
      'invalid_frame',
      'a',
      'request must be a JSON object',
    ],
    [
      '{"v":1,"id":"a","type":"evaluate","request":{},"correlation_id":"a b"}',
      'invalid_frame',
      'a',
      'correlation_id must be a plain identifier',
    ],
  ])('refuses %s', (text, code, id, message) => {
    expect(error(text)).toEqual([code, id, message]);
  });
});

describe('the evidence log', () => {
  const entry = (n: number) => ({
    recorded_at: '2026-11-25T10:00:00.000Z',
    decision: { decision_id: `d-${n}`, decision: 'allow' },
    runner: null,
    release_governance: null,
  });

  async function logWith(records: number) {
    const path = join(tempDir(), 'evidence.jsonl');
    const log = await EvidenceLog.open(path);
    for (let n = 1; n <= records; n++) await log.append(entry(n));
    await log.close();
    return path;
  }

  it('chains records and resumes the chain after reopening', async () => {
    const path = await logWith(3);
    const log = await EvidenceLog.open(path);
    expect(log.records).toBe(3);
    expect((await log.append(entry(4))).seq).toBe(4);
    await log.close();
    const result = await verifyEvidenceLog(path);
    expect([result.ok, result.records, result.tornTail, result.problems]).toEqual([true, 4, false, []]);
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0].prev).toBe('0'.repeat(64));
    expect(lines[1].prev).toBe(lines[0].hash);
    expect(Object.keys(lines[0])).toEqual([
      'seq',
      'prev',
      'recorded_at',
      'decision',
      'runner',
      'release_governance',
      'hash',
    ]);
  });

  it('commits concurrent appends as a group, in order, each acknowledged with its own seq', async () => {
    const path = join(tempDir(), 'evidence.jsonl');
    const log = await EvidenceLog.open(path);
    const acknowledged = await Promise.all(Array.from({ length: 100 }, (_, n) => log.append(entry(n + 1))));
    await log.close();
    expect(acknowledged.map((a) => a.seq)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.decision.decision_id)).toEqual(
      Array.from({ length: 100 }, (_, n) => `d-${n + 1}`),
    );
    expect(lines.map((line) => line.hash)).toEqual(acknowledged.map((a) => a.hash));
    expect((await verifyEvidenceLog(path)).ok).toBe(true);
  });

  it('detects an edited, a removed and a reordered record', async () => {
    const path = await logWith(4);
    const lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
    const check = async (edited: string[]) => {
      await writeFile(path, `${edited.join('\n')}\n`);
      return (await verifyEvidenceLog(path)).problems.map((p) => [p.line, p.problem]);
    };
    expect(
      await check([
        lines[0] as string,
        (lines[1] as string).replace('"allow"', '"block"'),
        lines[2] as string,
        lines[3] as string,
      ]),
    ).toEqual([[2, 'hash_mismatch']]);
    expect(
      await check([
        lines[0] as string,
        (lines[1] as string).replace('{"seq"', '{"note":"approved by ops","seq"'),
        lines[2] as string,
        lines[3] as string,
      ]),
    ).toEqual([[2, 'not_canonical']]);
    expect(await check([lines[0] as string, lines[2] as string, lines[3] as string])).toEqual([
      [2, 'broken_chain'],
      [2, 'sequence_gap'],
    ]);
    expect(
      await check([lines[0] as string, lines[2] as string, lines[1] as string, lines[3] as string]),
    ).toEqual([
      [2, 'broken_chain'],
      [2, 'sequence_gap'],
      [3, 'broken_chain'],
      [3, 'sequence_gap'],
      [4, 'broken_chain'],
      [4, 'sequence_gap'],
    ]);
    expect(await check([lines[0] as string, 'not json', lines[2] as string])).toEqual([
      [2, 'not_json'],
      [3, 'broken_chain'],
    ]);
  });

  it('lets one writer at a time extend a log, and takes over the lock of a process that is gone', async () => {
    const path = join(tempDir(), 'evidence.jsonl');
    const log = await EvidenceLog.open(path);
    await expect(EvidenceLog.open(path)).rejects.toThrow(
      `${path} is being written by process ${process.pid} (lock file ${path}.lock)`,
    );
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid} ${startTime(process.pid)}\n`);
    await log.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Left by a daemon that died: a pid above pid_max (no such process), or our own pid from an earlier life.
    for (const stale of ['4194305', String(process.pid)]) {
      await writeFile(`${path}.lock`, `${stale}\n`);
      const again = await EvidenceLog.open(path);
      await again.append(entry(1));
      await again.close();
    }
    expect((await verifyEvidenceLog(path)).records).toBe(2);
  });

  it('takes over a lock whose pid now belongs to another process, and respects the live holder', async () => {
    const path = join(tempDir(), 'evidence.jsonl');
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = other.pid as number;
      await writeFile(`${path}.lock`, `${pid} ${startTime(pid)}\n`);
      await expect(EvidenceLog.open(path)).rejects.toThrow(
        `${path} is being written by process ${pid} (lock file ${path}.lock)`,
      );
      // The same pid with another start time: the locking process died and its pid was reused.
      await writeFile(`${path}.lock`, `${pid} 1\n`);
      const log = await EvidenceLog.open(path);
      await log.close();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('reports a torn tail without failing, cuts it off on open, and refuses to extend a broken log', async () => {
    const path = await logWith(2);
    await appendFile(path, '{"seq":3,"prev":"ab');
    const torn = await verifyEvidenceLog(path);
    expect([torn.ok, torn.records, torn.tornTail]).toEqual([true, 2, true]);
    const log = await EvidenceLog.open(path);
    await log.append(entry(3));
    await log.close();
    expect((await verifyEvidenceLog(path)).ok).toBe(true);
    await appendFile(path, 'garbage\n');
    await expect(EvidenceLog.open(path)).rejects.toThrow(
      `evidence log ${path} does not verify (record 4: line is not JSON); refusing to extend it`,
    );
    expect(existsSync(`${path}.lock`)).toBe(false); // released when the open fails
  });

  it('resumes from its checkpoint without re-reading the log, and falls back to a full check when it does not match', async () => {
    const path = await logWith(3);
    const text = await readFile(path, 'utf8');
    const [, second, third] = text.split('\n').map((line) => JSON.parse(line || '{}'));
    expect(JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'))).toEqual({
      bytes: Buffer.byteLength(text),
      seq: 3,
      hash: third.hash,
      live_from: 0,
    });
    // An edit before the checkpoint (same length) is not re-read at start (evidence verify finds it); one after it
    // is refused.
    const edited = text.replace('"decision":"allow"', '"decision":"block"');
    await writeFile(path, edited);
    const resumed = await EvidenceLog.open(path);
    expect([resumed.records, resumed.lastHash]).toEqual([3, third.hash]);
    await resumed.append(entry(4));
    await resumed.close();
    expect((await verifyEvidenceLog(path)).problems.map((p) => [p.line, p.problem])).toEqual([
      [1, 'hash_mismatch'],
    ]);
    await appendFile(path, 'garbage\n');
    await expect(EvidenceLog.open(path)).rejects.toThrow(`(record 5: line is not JSON)`);
    // A checkpoint that names another record end, another hash, or nothing readable: the whole log is checked.
    for (const checkpoint of [
      { bytes: Buffer.byteLength(edited) - 1, seq: 3, hash: third.hash, live_from: 0 },
      { bytes: Buffer.byteLength(text), seq: 3, hash: second.hash, live_from: 0 },
      { bytes: Buffer.byteLength(text), seq: 3, hash: third.hash, live_from: 5 },
      'not json',
    ]) {
      await writeFile(path, edited);
      await writeFile(`${path}.checkpoint`, JSON.stringify(checkpoint));
      await expect(EvidenceLog.open(path)).rejects.toThrow(
        `evidence log ${path} does not verify (record 1: record content does not match its hash (edited))`,
      );
    }
  });

  it('refuses a log replaced behind its checkpoint, and with acceptTruncated records what it found first', async () => {
    const path = await logWith(3);
    const checkpoint = JSON.parse(await readFile(`${path}.checkpoint`, 'utf8'));
    // Another log of the same length, whose third record is another one.
    const other = await logWith(2);
    const log = await EvidenceLog.open(other);
    await log.append({ ...entry(3), decision: { decision_id: 'd-other', decision: 'allow' } });
    await log.close();
    const replaced = await readFile(other, 'utf8');
    await writeFile(path, replaced);
    const bytes = Buffer.byteLength(replaced);
    await expect(EvidenceLog.open(path)).rejects.toThrow(
      `evidence log ${path} holds 3 records (${bytes} bytes) but not record 3 with the hash ${checkpoint.hash} that its checkpoint ${path}.checkpoint names: it was replaced or rewritten; refusing to extend it. Restore it, or start with --accept-truncated to go on from what is there (recorded in the evidence)`,
    );
    expect(existsSync(`${path}.lock`)).toBe(false);
    const accepted = await EvidenceLog.open(path, {
      acceptTruncated: true,
      now: () => Date.parse('2026-11-25T10:00:00.000Z'),
    });
    expect(accepted.records).toBe(4);
    await accepted.close();
    const last = (await readFile(path, 'utf8')).trim().split('\n').at(-1) as string;
    const { hash: _hash, prev: _prev, ...event } = JSON.parse(last);
    expect(event).toEqual({
      seq: 4,
      recorded_at: '2026-11-25T10:00:00.000Z',
      event: {
        type: 'truncation_accepted',
        checkpoint: { seq: 3, bytes: checkpoint.bytes, hash: checkpoint.hash },
        found: { records: 3, bytes, missing: false },
      },
    });
    expect((await verifyEvidenceLog(path)).ok).toBe(true);
    // The checkpoint now names the event: the next start goes on without a word.
    const next = await EvidenceLog.open(path);
    expect(next.records).toBe(4);
    await next.close();
  });

  it('visits, at a start from a checkpoint, the records from the oldest one still live on', async () => {
    const path = join(tempDir(), 'evidence.jsonl');
    const now = Date.parse('2026-11-25T10:00:00.000Z');
    // Records 2 and 4 matter until a minute from now, record 1 until a minute ago; 3 and 5 never.
    const until: Record<string, number> = { 'd-1': now - 60_000, 'd-2': now + 60_000, 'd-4': now + 60_000 };
    const liveUntil = (record: EvidenceRecord) =>
      'decision' in record ? until[String(record.decision.decision_id)] : undefined;
    const writer = await EvidenceLog.open(path, { liveUntil, now: () => now });
    for (let n = 1; n <= 4; n++) await writer.append(entry(n));
    await writer.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    const secondStart = Buffer.byteLength(`${lines[0]}\n`);
    expect(JSON.parse(await readFile(`${path}.checkpoint`, 'utf8')).live_from).toBe(secondStart);
    const seen: unknown[] = [];
    const reader = await EvidenceLog.open(path, {
      liveUntil,
      now: () => now,
      visit: (record) => seen.push(record.seq),
    });
    await reader.append(entry(5));
    await reader.close();
    expect(seen).toEqual([2, 3, 4]);
    const full: unknown[] = [];
    const again = await EvidenceLog.open(path, { visit: (record) => full.push(record.seq) });
    await again.close();
    expect(full).toEqual([1, 2, 3, 4, 5]); // without liveUntil, every record
    // Only lines with the marker are read before the checkpoint (the last close, without liveUntil, checkpointed
    // every record as possibly live: live_from 0); records 1 to 5 have decision ids d-1 to d-5.
    const filtered: unknown[] = [];
    const skipping = await EvidenceLog.open(path, {
      liveUntil,
      now: () => now,
      visit: (record) => filtered.push(record.seq),
      liveMarker: '"decision_id":"d-',
    });
    await skipping.close();
    expect(filtered).toEqual([1, 2, 3, 4, 5]);
    const marked: unknown[] = [];
    const only = await EvidenceLog.open(path, {
      liveUntil,
      now: () => now,
      visit: (record) => marked.push(record.seq),
      liveMarker: '"decision_id":"d-2"',
    });
    await only.close();
    expect(marked).toEqual([2]); // from live_from (record 2, the oldest live one) on, only the line with the marker
  });
});

describe('daemon configuration', () => {
  it('resolves defaults and relative paths, and names every bad key', () => {
    const config = resolveDaemonConfig(
      { evidence_log: 'ev.jsonl', socket_path: 'run/d.sock' },
      { baseDir: '/srv/cavra' },
    );
    expect([
      config.socketPath,
      config.pidFile,
      config.evidenceLog,
      config.strictContract,
      config.requireRunnerAuth,
    ]).toEqual(['/srv/cavra/run/d.sock', '/srv/cavra/run/daemon.pid', '/srv/cavra/ev.jsonl', true, false]);
    expect(config.limits).toEqual({
      maxFrameBytes: 1048576,
      idleTimeoutMs: 30000,
      readTimeoutMs: 10000,
      maxConnections: 256,
      maxInFlightPerConnection: 64,
    });
    expect(() =>
      resolveDaemonConfig({
        mode: 'yolo',
        limits: { max_frame_bytes: 10 },
        runner_auth: { hmac: { keys: [{ key_id: 'k', secret: 'inline' }] } },
        extra: 1,
      }),
    ).toThrow(
      "config: must have required property 'evidence_log'; /extra: is not a known key; /mode: must be one of: audit_only, enforce, strict, break_glass; /runner_auth/hmac/keys/0/secret: is not a known key; /limits/max_frame_bytes: must be >= 1024",
    );
  });

  it('resolves fleet.evidence (the spool) with its defaults, and refuses a segment too large or a prune_delay too short', () => {
    const fleet = (evidence?: Record<string, unknown>) =>
      resolveDaemonConfig(
        {
          evidence_log: 'ev.jsonl',
          fleet: { servers: ['nats://127.0.0.1:4222'], channel: 'team', trust_root: 'root.json', evidence },
        },
        { baseDir: '/srv' },
      ).fleet?.evidence;
    const shipping = { ship: true, shipMode: 'async', batchMaxRecords: 1000, drainTimeout: '30s' };
    expect(fleet()).toEqual({
      ...shipping,
      spoolMaxBytes: 1073741824,
      onSpoolFull: 'block',
      pruneDelay: '10m',
      segmentMaxBytes: 16777216,
    });
    expect(
      fleet({
        spool_max_bytes: 5242880,
        on_spool_full: 'warn',
        prune_delay: '1h',
        receipt_public_key: 'v.pem',
      }),
    ).toEqual({
      ...shipping,
      spoolMaxBytes: 5242880,
      onSpoolFull: 'warn',
      pruneDelay: '1h',
      segmentMaxBytes: 655360,
      receiptPublicKey: '/srv/v.pem',
    });
    expect(() => fleet({ spool_max_bytes: 65536, segment_max_bytes: 32768, prune_delay: '5m' })).toThrow(
      'config: /fleet/evidence/segment_max_bytes: at most a quarter of spool_max_bytes (16384): only closed segments can be pruned; /fleet/evidence/prune_delay: at least 10m: nats-server 2.9 acknowledges before it syncs to disk, so a fresh receipt may still be lost',
    );
  });

  it("takes upstream's approver group names for release governance, and refuses other text", () => {
    const group = (approver_group: string) =>
      resolveDaemonConfig({ evidence_log: 'ev.jsonl', release_governance: { approver_group } })
        .releaseGovernance.approverGroup;
    expect([group('Release Governance'), group('release-managers')]).toEqual([
      'Release Governance',
      'release-managers',
    ]);
    expect(() => group('ops/<script>')).toThrow(
      'config: /release_governance/approver_group: must match pattern "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$"',
    );
  });

  it('passes the OIDC JWKS settings to @cavra/auth and bounds them', () => {
    const oidc = (jwks: Record<string, unknown>) => ({
      evidence_log: 'ev.jsonl',
      runner_auth: {
        oidc: {
          providers: [{ provider: 'github-actions', audience: 'cavra' }],
          trust: { providers: ['github-actions'], repositories: ['acme/*'] },
          jwks,
        },
      },
    });
    const config = resolveDaemonConfig(
      oidc({ timeout_ms: 2000, cooldown_ms: 0, cache_max_age_ms: 60000, max_bytes: 8192 }),
    );
    expect(config.runnerAuth.oidc).toEqual({
      providers: [{ provider: 'github-actions', audience: 'cavra' }],
      trust: { providers: ['github-actions'], repositories: ['acme/*'] },
      jwksTimeoutMs: 2000,
      jwksCooldownMs: 0,
      jwksCacheMaxAgeMs: 60000,
      jwksMaxBytes: 8192,
    });
    expect(() => resolveDaemonConfig(oidc({ max_bytes: 10_000_000, cooldown: 1 }))).toThrow(
      'config: /runner_auth/oidc/jwks/cooldown: is not a known key; /runner_auth/oidc/jwks/max_bytes: must be <= 1048576',
    );
  });

  it('reads the evidence signing key source and the OIDC token lifetime', () => {
    const config = resolveDaemonConfig(
      {
        evidence_log: 'ev.jsonl',
        evidence_signing: { key_id: 'evidence-1', secret_file: 'keys/evidence' },
        runner_auth: {
          oidc: {
            providers: [{ provider: 'github-actions', audience: 'cavra' }],
            trust: { providers: ['github-actions'], repositories: ['acme/*'] },
            max_token_lifetime_seconds: 3600,
          },
        },
      },
      { baseDir: '/srv/cavra' },
    );
    expect([config.evidenceSigning, config.runnerAuth.oidc?.maxTokenLifetimeSeconds]).toEqual([
      { keyId: 'evidence-1', secretFile: '/srv/cavra/keys/evidence' },
      3600,
    ]);
    expect(() =>
      resolveDaemonConfig({
        evidence_log: 'ev.jsonl',
        evidence_signing: { key_id: 'a b', secret: 'inline' },
      }),
    ).toThrow(
      'config: /evidence_signing/secret: is not a known key; /evidence_signing/key_id: must match pattern "^[A-Za-z0-9._-]{1,128}$"',
    );
  });
});
