// The evidence view's receipt in fleet mode: the central verifier's latest receipt for the log's daemon, read from a
// real JetStream server (KV cavra_evidence_receipts), checked with the verifier's key and against the local log.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvidenceLog } from '@cavra/daemon';
import {
  connectFleet,
  EVIDENCE_RECEIPT_SCHEMA,
  type EvidenceReceipt,
  evidenceEpoch,
  type Fleet,
  openEvidenceBucket,
  signEvidenceReceipt,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import { generated } from './support/evidence-log.js';
import { HttpSession } from './support/http-session.js';

const DAEMON = 'ci-runner-1';
const dir = mkdtempSync(join(tmpdir(), 'cvr-'));
const logPath = join(dir, 'evidence.jsonl');
const verifierKey = generateKeyPairSync('ed25519');
const otherKey = generateKeyPairSync('ed25519');
const publicPem = verifierKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let cluster: NatsCluster;
let fleet: Fleet;
let receipts: Awaited<ReturnType<typeof openEvidenceBucket>>;
/** The local log's records, as written. */
let lines: { seq: number; hash: string }[];
const consoles: RunningConsole[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 1 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
  receipts = await openEvidenceBucket(fleet, 'receipts');
  const log = await EvidenceLog.open(logPath, { daemonId: DAEMON });
  for (let n = 0; n < 5; n++) await log.append(generated(n));
  await log.close();
  lines = readFileSync(logPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}, 60_000);
afterAll(async () => {
  for (const running of consoles) await running.close();
  await fleet?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const receiptFor = (seq: number, changes: Partial<EvidenceReceipt> = {}): EvidenceReceipt => ({
  schema: EVIDENCE_RECEIPT_SCHEMA,
  daemon_id: DAEMON,
  epoch: evidenceEpoch((lines[0] as { hash: string }).hash),
  seq,
  hash: (lines[seq - 1] as { hash: string }).hash,
  stream_seq: 7,
  verified_at: '2026-12-06T09:00:00.000Z',
  ...changes,
});

async function receiptShown(options: { receiptKey?: string; fleet?: boolean } = {}) {
  const running = await startConsole({
    evidenceLog: logPath,
    ...(options.fleet === false ? {} : { fleet: { servers: cluster.servers } }),
    ...(options.receiptKey ? { receiptKey: options.receiptKey } : {}),
  });
  consoles.push(running);
  const http = new HttpSession(running);
  await http.signIn();
  return http.json(http.get('/api/evidence/receipt'));
}

describe('the receipt beside the chain badge', () => {
  it('says none yet before the verifier wrote one', async () => {
    await receipts.delete(DAEMON);
    expect(await receiptShown({ receiptKey: publicPem })).toEqual([
      200,
      {
        state: 'missing',
        message: `Receipt: none yet for daemon ${DAEMON} (the central verifier has not verified its records)`,
        daemon_id: DAEMON,
        seq: null,
        verified_at: null,
      },
    ]);
  });

  it('verified through record N at its time when the key verifies it and the local record N has its hash', async () => {
    await receipts.put(DAEMON, await signEvidenceReceipt(receiptFor(4), verifierKey.privateKey));
    expect(await receiptShown({ receiptKey: publicPem })).toEqual([
      200,
      {
        state: 'verified',
        message: 'Receipt: verified through record 4 at 2026-12-06T09:00:00.000Z',
        daemon_id: DAEMON,
        seq: 4,
        verified_at: '2026-12-06T09:00:00.000Z',
      },
    ]);
  });

  it('not checked without --receipt-key; refused when signed by another key or with a broken signature', async () => {
    await receipts.put(DAEMON, await signEvidenceReceipt(receiptFor(4), verifierKey.privateKey));
    const [, unchecked] = await receiptShown();
    expect(unchecked).toMatchObject({
      state: 'not_checked',
      message: "Receipt: not checked: start cavra console with --receipt-key (the verifier's public key)",
      seq: null,
    });
    const other = await signEvidenceReceipt(receiptFor(4), otherKey.privateKey);
    await receipts.put(DAEMON, other);
    const [, wrongKey] = await receiptShown({ receiptKey: publicPem });
    expect(wrongKey).toMatchObject({ state: 'refused', seq: null, verified_at: null });
    expect((wrongKey as { message: string }).message).toMatch(/^Receipt: not valid: receipt_wrong_key: /);
    // The verifier's header (its kid) on another payload's signature.
    const good = await signEvidenceReceipt(receiptFor(4), verifierKey.privateKey);
    const [header] = good.split('.');
    const [, payload, signature] = (await signEvidenceReceipt(receiptFor(5), verifierKey.privateKey)).split(
      '.',
    );
    await receipts.put(DAEMON, `${header}.${payload}.${(signature as string).slice(0, -4)}AAAA`);
    const [, forged] = await receiptShown({ receiptKey: publicPem });
    expect(forged).toMatchObject({ state: 'refused', seq: null });
    expect((forged as { message: string }).message).toMatch(/^Receipt: not valid: receipt_bad_signature: /);
  });

  it('a mismatch when the local record N has another hash, the log ends before N, or the receipt is of another log', async () => {
    const shownFor = async (receipt: EvidenceReceipt) => {
      await receipts.put(DAEMON, await signEvidenceReceipt(receipt, verifierKey.privateKey));
      const [status, body] = await receiptShown({ receiptKey: publicPem });
      return [status, (body as { state: string }).state, (body as { message: string }).message];
    };
    expect(await shownFor(receiptFor(3, { hash: 'f'.repeat(64) }))).toEqual([
      200,
      'mismatch',
      'Receipt: does not match the local record 3 (the verifier verified another hash: the record was rewritten)',
    ]);
    expect(await shownFor(receiptFor(5, { seq: 9 }))).toEqual([
      200,
      'mismatch',
      'Receipt: verified through record 9, which this log does not hold (it ends at 5): records the verifier verified are missing',
    ]);
    expect(await shownFor(receiptFor(2, { epoch: '0123456789abcdef' }))).toEqual([
      200,
      'mismatch',
      'Receipt: belongs to another log (epoch 0123456789abcdef) than this one',
    ]);
  });

  it('answers 404 fleet_not_configured without --nats', async () => {
    const [status, body] = await receiptShown({ fleet: false });
    expect([status, (body as { error: { code: string } }).error.code]).toEqual([404, 'fleet_not_configured']);
  });
});
