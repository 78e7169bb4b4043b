// `cavra-daemon evidence verify --anchor RECEIPT --anchor-key PEM`: a fleet evidence receipt is the anchor that
// detects a truncated or rewritten tail of a local log.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVIDENCE_RECEIPT_SCHEMA, type EvidenceReceipt, signEvidenceReceipt } from '@cavra/fleet';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealRecord } from '../src/evidence-record.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli } from './support/daemon-process.js';

afterAll(removeTempDirs);

/** `count` sealed decision records of one chain, as their lines. */
function chain(count: number, decision = 'allow'): { lines: string[]; hashes: string[] } {
  const lines: string[] = [];
  const hashes: string[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const { record, line } = sealRecord({
      seq,
      prev,
      recorded_at: `2026-12-06T08:00:0${seq}.000Z`,
      decision: { decision: seq === 2 ? decision : 'allow' },
      runner: null,
      release_governance: null,
      daemon_id: 'laptop-1',
    });
    lines.push(line);
    hashes.push(record.hash);
    prev = record.hash;
  }
  return { lines, hashes };
}

describe('evidence verify --anchor with a receipt', () => {
  it('passes an intact log; names a truncated tail, a rewritten record, another log and a bad receipt', async () => {
    const dir = tempDir();
    const keys = generateKeyPairSync('ed25519');
    const otherKeys = generateKeyPairSync('ed25519');
    const { lines, hashes } = chain(4);
    const epoch = (hashes[0] as string).slice(0, 16);
    const receipt: EvidenceReceipt = {
      schema: EVIDENCE_RECEIPT_SCHEMA,
      daemon_id: 'laptop-1',
      epoch,
      seq: 3,
      hash: hashes[2] as string,
      stream_seq: 2,
      verified_at: '2026-12-06T08:01:00.000Z',
    };
    const files: Record<string, string> = {
      'intact.jsonl': lines.join(''),
      'truncated.jsonl': lines.slice(0, 2).join(''),
      // A consistent chain, every hash recomputed, with record 2 changed: only the anchor can tell.
      'rewritten.jsonl': chain(4, 'block').lines.join(''),
      'receipt.jws': await signEvidenceReceipt(receipt, keys.privateKey),
      'other-log.jws': await signEvidenceReceipt({ ...receipt, epoch: 'ffffffffffffffff' }, keys.privateKey),
      'key.pem': keys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      'other-key.pem': otherKeys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    };
    await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
    const rewritten = chain(4, 'block').hashes;
    const verify = (log: string, receiptFile: string, key = 'key.pem') =>
      cli([
        'evidence',
        'verify',
        join(dir, log),
        '--anchor',
        join(dir, receiptFile),
        '--anchor-key',
        join(dir, key),
      ]);
    const results = await Promise.all([
      verify('intact.jsonl', 'receipt.jws'),
      verify('truncated.jsonl', 'receipt.jws'),
      verify('rewritten.jsonl', 'receipt.jws'),
      verify('intact.jsonl', 'other-log.jws'),
      verify('intact.jsonl', 'receipt.jws', 'other-key.pem'),
      verify('intact.jsonl', 'missing.jws'),
      cli(['evidence', 'verify', join(dir, 'intact.jsonl'), '--anchor-key', join(dir, 'key.pem')]),
    ]);
    const head = (log: string, summary: string, last: string) => [
      `${join(dir, log)}: ${summary}`,
      `last hash ${last}`,
      `receipt: daemon laptop-1, epoch ${epoch}, seq 3, verified at 2026-12-06T08:01:00.000Z`,
    ];
    expect(
      results.map(({ code, stdout, stderr }) => [code, (stdout || stderr).split('\n').slice(0, -1)]),
    ).toEqual([
      [0, head('intact.jsonl', '4 records, chain intact, unsigned', hashes[3] as string)],
      [
        1,
        [
          ...head('truncated.jsonl', '2 records, 1 problem', hashes[1] as string),
          'line 3: anchor_missing: the log ends at seq 2, before the anchored seq 3: records were removed from the end',
        ],
      ],
      [
        1,
        [
          ...head('rewritten.jsonl', '4 records, 1 problem', rewritten[3] as string),
          `line 3: anchor_mismatch: record 3 has hash ${rewritten[2]}, the anchor ${hashes[2]}: rewritten after it was anchored`,
        ],
      ],
      [
        1,
        [
          `${join(dir, 'intact.jsonl')}: 4 records, 1 problem`,
          `last hash ${hashes[3]}`,
          `receipt: daemon laptop-1, epoch ffffffffffffffff, seq 3, verified at 2026-12-06T08:01:00.000Z`,
          `line 1: anchor_mismatch: the log's epoch is ${epoch}, the anchor's ffffffffffffffff: the anchor is of another log (or this one was replaced)`,
        ],
      ],
      [
        1,
        [
          expect.stringMatching(
            /^anchor receipt .*receipt\.jws: receipt_wrong_key: the receipt names key '[0-9a-f]{16}', not the given key [0-9a-f]{16}$/,
          ),
        ],
      ],
      [1, [`cannot read anchor receipt ${join(dir, 'missing.jws')}: no such file or directory (ENOENT)`]],
      [
        2,
        expect.arrayContaining([
          'cavra-daemon: --anchor-key needs --anchor RECEIPT: the receipt file it checks',
        ]),
      ],
    ]);
  });
});
