import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EVIDENCE_RECEIPT_SCHEMA, signEvidenceReceipt } from '@cavra/fleet';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetSpoolConfig } from '../src/fleet-config.js';
import { pruneWithReceipt, startPruner } from '../src/fleet-evidence-prune.js';
import { EvidenceLog, verifyEvidenceLog } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const MINUTE = 60_000;
const DAEMON = 'd-0123456789abcdef';
const LINE_BYTES = 357; // a record line up to seq 9 (fixed-width ids)

const entry = (n: number) => ({
  recorded_at: '2026-11-25T10:00:00.000Z',
  decision: { decision_id: `d-${String(n).padStart(4, '0')}`, decision: 'allow' },
  runner: null,
  release_governance: null,
});

const verifierKeys = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};

/** A log of 9 records in segments [1..3] [4..6] [7..9] (closed) and an empty active file, every segment closed an hour ago. */
async function setup() {
  const dir = tempDir();
  const path = join(dir, 'evidence.jsonl');
  const written = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
  for (let n = 1; n <= 9; n++) await written.append(entry(n));
  await written.close(); // the segment [7..9] is closed after its last append is acknowledged: close waits for it
  const log = await EvidenceLog.open(path, { segments: { maxBytes: 3 * LINE_BYTES } });
  for (const segment of log.layout().closed)
    await utimes(segment.path, (NOW - 60 * MINUTE) / 1000, (NOW - 60 * MINUTE) / 1000);
  const keys = verifierKeys();
  await writeFile(join(dir, 'receipt.pub'), keys.publicPem);
  const config: FleetSpoolConfig = {
    spoolMaxBytes: 1 << 20,
    onSpoolFull: 'block',
    pruneDelay: '10m',
    segmentMaxBytes: 3 * LINE_BYTES,
    receiptPublicKey: join(dir, 'receipt.pub'),
  };
  const lines = [1, 4, 7].map(async (first) =>
    (await readFile(`${path}.seg-${String(first).padStart(16, '0')}`, 'utf8')).trim().split('\n'),
  );
  const records = (await Promise.all(lines))
    .flat()
    .map((line) => JSON.parse(line) as { seq: number; hash: string });
  const epoch = (records[0]?.hash ?? '').slice(0, 16);
  const receipt = (
    seq: number,
    verifiedAgoMs: number,
    more: Record<string, unknown> = {},
    key = keys.privatePem,
  ) =>
    signEvidenceReceipt(
      {
        schema: EVIDENCE_RECEIPT_SCHEMA,
        daemon_id: DAEMON,
        epoch,
        seq,
        hash: records[seq - 1]?.hash as string,
        stream_seq: seq,
        verified_at: new Date(NOW - verifiedAgoMs).toISOString(),
        ...more,
      },
      key,
    );
  const host = { log, config, daemonId: DAEMON, now: () => NOW };
  return { dir, path, log, config, receipt, host, epoch, records };
}

const names = async (dir: string) =>
  (await readdir(dir))
    .filter((name) => name.startsWith('evidence.jsonl.seg-'))
    .map((name) => Number(name.slice(-16)));

describe('pruning receipted segments', () => {
  it('deletes only closed segments the receipt covers entirely, once it is older than prune_delay', async () => {
    const { dir, path, log, receipt, host, epoch, records } = await setup();
    expect(await pruneWithReceipt(await receipt(5, 5 * MINUTE), host)).toEqual({
      pruned: [],
      held: 'receipt_too_new',
    });
    const outcome = await pruneWithReceipt(await receipt(5, 11 * MINUTE), host);
    expect([outcome.pruned.map((s) => s.first), outcome.held]).toEqual([[1], 'not_receipted']);
    expect(await names(dir)).toEqual([4, 7]);
    expect(JSON.parse(await readFile(`${path}.pruned`, 'utf8'))).toEqual({
      seq: 3,
      hash: records[2]?.hash,
      epoch,
    });
    const rest = await pruneWithReceipt(await receipt(9, 11 * MINUTE), host);
    expect([rest.pruned.map((s) => s.first), rest.held]).toEqual([[4, 7], undefined]);
    expect(await names(dir)).toEqual([]);
    await log.close();
    const verified = await verifyEvidenceLog(path);
    expect([verified.ok, verified.records]).toEqual([true, 9]);
  });

  it('keeps a segment closed less than prune_delay ago here, whatever the receipt says', async () => {
    const { dir, log, receipt, host } = await setup();
    const second = log.layout().closed[1]?.path as string;
    await utimes(second, (NOW - 2 * MINUTE) / 1000, (NOW - 2 * MINUTE) / 1000);
    const outcome = await pruneWithReceipt(await receipt(9, 30 * MINUTE), host);
    expect([outcome.pruned.map((s) => s.first), outcome.held]).toEqual([[1], 'segment_too_new']);
    expect(await names(dir)).toEqual([4, 7]);
    await log.close();
  });

  it('prunes nothing on a receipt of another key, daemon or epoch, or one whose hash this log does not hold', async () => {
    const { dir, log, receipt, host, records } = await setup();
    const other = verifierKeys();
    await expect(
      pruneWithReceipt(await receipt(9, 30 * MINUTE, {}, other.privatePem), host),
    ).rejects.toMatchObject({
      code: 'receipt_wrong_key',
    });
    expect(
      await pruneWithReceipt(await receipt(9, 30 * MINUTE, { daemon_id: 'd-ffffffffffffffff' }), host),
    ).toEqual({
      pruned: [],
      held: 'receipt_of_another_daemon',
    });
    expect(
      await pruneWithReceipt(await receipt(9, 30 * MINUTE, { epoch: 'ffffffffffffffff' }), host),
    ).toEqual({
      pruned: [],
      held: 'receipt_of_another_epoch',
    });
    await expect(
      pruneWithReceipt(await receipt(9, 30 * MINUTE, { hash: records[7]?.hash }), host),
    ).rejects.toThrow(
      `the receipt names record 9 with hash ${records[7]?.hash}, which this log does not hold`,
    );
    expect(await pruneWithReceipt(undefined, host)).toEqual({ pruned: [], held: 'no_receipt' });
    const { receiptPublicKey: _key, ...unkeyed } = host.config;
    expect(await pruneWithReceipt(await receipt(9, 30 * MINUTE), { ...host, config: unkeyed })).toEqual({
      pruned: [],
      held: 'no_receipt_public_key',
    });
    expect(await names(dir)).toEqual([1, 4, 7]);
    expect(dirname(log.path)).toBe(dir);
    await log.close();
  });

  it('runs beside the daemon: says once why nothing was pruned, then what it pruned', async () => {
    const { log, receipt, host } = await setup();
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const logger = {
      info: (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields]),
      warn: (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields]),
      error: (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields]),
    };
    let jws: string | undefined;
    const pruner = startPruner({ ...host, logger, readReceipt: async () => jws, everyMs: 3_600_000 });
    await pruner.wake();
    await pruner.wake();
    jws = await receipt(6, 30 * MINUTE);
    await pruner.wake();
    await pruner.close();
    expect(lines).toEqual([
      ['fleet: no evidence segment pruned', { reason: 'no_receipt' }],
      [
        'fleet: receipted evidence segments pruned',
        { segments: 2, bytes: 6 * LINE_BYTES, through_first: 4, held: 'not_receipted' },
      ],
    ]);
    await log.close();
  });
});
