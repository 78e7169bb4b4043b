import { createHash, createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EvidenceLog, verifyEvidenceLog } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli } from './support/daemon-process.js';

afterAll(removeTempDirs);

// Upstream's record form, from the documented facts (upstream-compat.md, "Evidence"): the fields in Go's struct order,
// `record_hash` the SHA-256 of the record as Go writes it without `record_hash` and `signature`, the HMAC over
// `cavra.go-daemon.evidence.v1\n<previous_hash>\n<record_hash>`. Written out here by hand, not by our module.
const SCHEMA = 'cavra.go-daemon.evidence.v1';
const KEY = 'upstream-evidence-secret-of-32-bytes-or-more';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (text: string) => createHmac('sha256', KEY).update(text).digest('hex');

/** A record as upstream's daemon writes it: `head` up to `sequence` (and `previous_hash`), `tail` from `timestamp`. */
function goRecord(sequence: number, previous: string, tail: string, keyId?: string) {
  const head = `{"schema_version":"${SCHEMA}","product":"CAVRA","event_type":"cavra.go_daemon.decision","record_id":"${'a'.repeat(23)}${sequence}","sequence":${sequence}${previous ? `,"previous_hash":"${previous}"` : ''}`;
  const hash = sha256(`${head},${tail}}`);
  const signature =
    keyId === undefined
      ? ''
      : `,"signature":{"algorithm":"HMAC-SHA256"${keyId ? `,"key_id":"${keyId}"` : ''},"value":"${hmac(`${SCHEMA}\n${previous}\n${hash}`)}"}`;
  return { hash, line: `${head},"record_hash":"${hash}",${tail}${signature}}` };
}

const TAILS = [
  '"timestamp":"2026-12-06T05:00:00.123456789Z","request":{"action_type":"read_file","target":".env","policy_pack":"cavra-ai-agent-baseline"},"response":{"decision_id":"dec_0123456789ab","session_id":"local","agent_id":"unknown-agent","actor":"ai-agent","action_type":"read_file","target":".env","requested_operation":"read","policy_pack":"cavra-ai-agent-baseline","policy_id":"cavra-ai-agent-baseline","rule_id":"filesystem.read.block","decision":"block","severity":"high","reason":"secrets \\u003c\\u0026\\u003e stay","evidence_refs":["evidence://local/dec_0123456789ab","go-daemon-evidence://aaaaaaaaaaaaaaaaaaaaaaa1"],"timestamp":"2026-12-06T05:00:00Z","correlation_id":"corr_0123456789ab"}',
  '"timestamp":"2026-12-06T05:00:01Z","request":{"action_type":"execute_command","target":"terraform plan"},"response":{"decision":"allow","rule_id":"commands.allow"}',
  '"timestamp":"2026-12-06T05:00:02Z","request":{},"response":{}',
];

function goLog(keyId?: string): string[] {
  const lines: string[] = [];
  let previous = '';
  TAILS.forEach((tail, index) => {
    const { hash, line } = goRecord(index + 1, previous, tail, keyId);
    lines.push(line);
    previous = hash;
  });
  return lines;
}

async function verifyText(text: string, options: Parameters<typeof verifyEvidenceLog>[1] = {}) {
  const path = join(tempDir(), 'go-evidence.jsonl');
  await writeFile(path, text);
  const result = await verifyEvidenceLog(path, options);
  return [
    result.ok,
    result.format,
    result.records,
    result.signedRecords,
    result.problems.map((p) => `${p.line} ${p.problem}`),
  ];
}

const key = (keyId?: string) => ({ secret: Buffer.from(KEY), ...(keyId ? { keyId } : {}) });

describe('upstream evidence logs (cavra.go-daemon.evidence.v1)', () => {
  it('verifies the hash chain, and the HMAC with the key, as upstream defines them', async () => {
    const unsigned = goLog();
    const signed = goLog('evidence-key-1');
    const lastHash = JSON.parse(signed[2] as string).record_hash;
    expect(await verifyText(`${unsigned.join('\n')}\n`)).toEqual([true, 'upstream', 3, 0, []]);
    expect(
      await verifyText(`${signed.join('\n')}\n`, { key: key('evidence-key-1'), anchor: lastHash }),
    ).toEqual([true, 'upstream', 3, 3, []]);
    // key_id is optional upstream (left out when the daemon has none).
    expect(await verifyText(`${goLog('').join('\n')}\n`, { key: key() })).toEqual([
      true,
      'upstream',
      3,
      3,
      [],
    ]);
  });

  it('finds edits, removals, reordering, wrong keys and unchecked signatures', async () => {
    const [a, b, c] = goLog('evidence-key-1') as [string, string, string];
    const [ua, ub, uc] = goLog() as [string, string, string];
    expect(
      await verifyText(`${[a, b.replace('"allow"', '"block"'), c].join('\n')}\n`, { key: key() }),
    ).toEqual([false, 'upstream', 3, 3, ['2 hash_mismatch']]);
    // An added key is caught (upstream's re-serialization would drop it unseen).
    expect(
      await verifyText(`${[ua, ub.replace('"response":{', '"response":{"x":1,'), uc].join('\n')}\n`),
    ).toEqual([false, 'upstream', 3, 0, ['2 hash_mismatch']]);
    expect(await verifyText(`${[ua, uc].join('\n')}\n`)).toEqual([
      false,
      'upstream',
      2,
      0,
      ['2 broken_chain', '2 sequence_gap'],
    ]);
    expect(await verifyText(`${[ua, uc, ub].join('\n')}\n`)).toEqual([
      false,
      'upstream',
      3,
      0,
      ['2 broken_chain', '2 sequence_gap', '3 broken_chain', '3 sequence_gap'],
    ]);
    expect(await verifyText(`${[a, b, c].join('\n')}\n`)).toEqual([
      false,
      'upstream',
      3,
      3,
      ['1 signature_unchecked', '2 signature_unchecked', '3 signature_unchecked'],
    ]);
    expect(await verifyText(`${[a, b, c].join('\n')}\n`, { key: { secret: Buffer.from('other') } })).toEqual([
      false,
      'upstream',
      3,
      3,
      ['1 bad_signature', '2 bad_signature', '3 bad_signature'],
    ]);
    expect(await verifyText(`${[a, b, c].join('\n')}\n`, { key: key('evidence-key-2') })).toEqual([
      false,
      'upstream',
      3,
      3,
      ['1 wrong_key', '2 wrong_key', '3 wrong_key'],
    ]);
    // With a key every record must be signed (upstream's verifier lets an unsigned one pass).
    expect(await verifyText(`${[ua, ub, uc].join('\n')}\n`, { key: key() })).toEqual([
      false,
      'upstream',
      3,
      0,
      ['1 unsigned', '2 unsigned', '3 unsigned'],
    ]);
  });

  it('refuses a mixed log either way round', async () => {
    const dir = tempDir();
    const ours = join(dir, 'ours.jsonl');
    const log = await EvidenceLog.open(ours);
    await log.append({
      recorded_at: '2026-12-06T05:00:00.000Z',
      decision: { decision_id: 'd-1', decision: 'allow' },
      runner: null,
      release_governance: null,
    });
    await log.close();
    const ourLine = (await readFile(ours, 'utf8')).trim();
    const [ua, ub] = goLog() as [string, string];
    expect(await verifyText(`${[ourLine, ua].join('\n')}\n`)).toEqual([
      false,
      'cavra',
      2,
      0,
      ['2 mixed_log'],
    ]);
    expect(await verifyText(`${[ua, ourLine, ub].join('\n')}\n`)).toEqual([
      false,
      'upstream',
      3,
      0,
      ['2 mixed_log', '3 sequence_gap'],
    ]);
  });
});

describe('the daemon and an upstream log', () => {
  it('refuses to extend a log of upstream records', async () => {
    const path = join(tempDir(), 'evidence.jsonl');
    await writeFile(path, `${goLog().join('\n')}\n`);
    await expect(EvidenceLog.open(path)).rejects.toThrow(
      '(record 1: an upstream record in a cavra-daemon log: two logs were joined)',
    );
  });
});

describe('cavra-daemon evidence export --format upstream', () => {
  async function ourLog() {
    const path = join(tempDir(), 'evidence.jsonl');
    const log = await EvidenceLog.open(path);
    await log.append({
      recorded_at: '2026-12-06T05:00:00.000Z',
      decision: {
        decision_id: 'dec_0123456789ab',
        session_id: 's-1',
        action_type: 'read_file',
        target: 'a<b>&c.txt',
        requested_operation: '',
        decision: 'allow',
        rule_id: 'filesystem.read.allow',
        base_decision: 'allow',
        evidence_refs: ['evidence://s-1/dec_0123456789ab'],
      },
      runner: null,
      release_governance: null,
    });
    await log.append({
      recorded_at: '2026-12-06T05:00:01.000Z',
      decision: { decision_id: 'dec_0123456789ac', decision: 'block', evidence_refs: [] },
      runner: null,
      release_governance: {
        metadata_kind: 'release-channel-promotion-request',
        approval_required_count: 2,
        extra: 'x',
      },
    });
    await log.close();
    return path;
  }

  it('writes records upstream hashes and signs the same way, which our verifier then checks as upstream records', async () => {
    const path = await ourLog();
    const source = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const plain = await cli(['evidence', 'export', path, '--format', 'upstream']);
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    const lines = plain.stdout.trim().split('\n');
    const first = `{"schema_version":"${SCHEMA}","product":"CAVRA","event_type":"cavra.daemon.decision","record_id":"${source[0].hash.slice(0, 24)}","sequence":1`;
    const firstTail =
      '"timestamp":"2026-12-06T05:00:00.000Z","request":{"session_id":"s-1","action_type":"read_file","target":"a\\u003cb\\u003e\\u0026c.txt"},"response":{"decision_id":"dec_0123456789ab","session_id":"s-1","action_type":"read_file","target":"a\\u003cb\\u003e\\u0026c.txt","rule_id":"filesystem.read.allow","decision":"allow","evidence_refs":["evidence://s-1/dec_0123456789ab"' +
      `,"cavra-daemon-evidence://${source[0].decision.evidence_refs.at(-1).split('//')[1]}"]}`;
    const firstHash = sha256(`${first},${firstTail}}`);
    expect(lines[0]).toBe(`${first},"record_hash":"${firstHash}",${firstTail}}`);
    expect(JSON.parse(lines[1] as string).request).toEqual({
      release_governance: { metadata_kind: 'release-channel-promotion-request', approval_required_count: 2 },
    });
    const exported = join(tempDir(), 'exported.jsonl');
    await writeFile(exported, plain.stdout);
    expect(await verifyText(plain.stdout)).toEqual([true, 'upstream', 2, 0, []]);

    const keyFile = join(tempDir(), 'key');
    await writeFile(keyFile, KEY, { mode: 0o600 });
    const signed = await cli([
      'evidence',
      'export',
      path,
      '--format',
      'upstream',
      '--key-file',
      keyFile,
      '--key-id',
      'k1',
    ]);
    expect(signed.stderr).toBe('');
    expect(JSON.parse(signed.stdout.split('\n')[0] as string).signature).toEqual({
      algorithm: 'HMAC-SHA256',
      key_id: 'k1',
      value: hmac(`${SCHEMA}\n\n${firstHash}`),
    });
    expect(await verifyText(signed.stdout, { key: key('k1') })).toEqual([true, 'upstream', 2, 2, []]);
    const verified = await cli(['evidence', 'verify', exported]);
    expect([verified.code, verified.stdout.split('\n')[0]]).toEqual([
      0,
      `${exported}: 2 records (upstream ${SCHEMA}), chain intact, unsigned`,
    ]);
  });

  it('refuses a log whose chain does not verify, and needs --format upstream', async () => {
    const path = await ourLog();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"decision":"block"', '"decision":"allow"'));
    const edited = await cli(['evidence', 'export', path, '--format', 'upstream']);
    expect([edited.code, edited.stdout, edited.stderr]).toEqual([
      1,
      '',
      `${path}: not exported: 1 problem (line 2: hash_mismatch); run evidence verify\n`,
    ]);
    const noFormat = await cli(['evidence', 'export', path]);
    expect([noFormat.code, noFormat.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra-daemon: usage: cavra-daemon evidence export FILE --format upstream [--key-file FILE | --key-env VAR]',
    ]);
  });
});
