// The evidence shipper against a real JetStream server: every record reaches the daemon's subject once and in order
// across restarts, a corrupt cursor, a conflicting publish, a server restored from an older copy of its store (lost
// acknowledged batches, repaired from the local log) and a verifier's re-send request.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { headers, TimeoutError } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import {
  connectFleet,
  EVIDENCE_STREAM,
  type EvidenceBatch,
  type EvidenceSource,
  evidenceEpoch,
  evidenceSubject,
  type Fleet,
  openEvidenceBucket,
  type ShipperHandle,
  type ShipperOptions,
  type ShipperState,
  startShipper,
} from '../src/index.js';

const DAEMON = 'ci-runner-7';
const DRAIN_MS = 60_000;

/** A daemon's log as raw lines: the shipper reads nothing else. */
class MemoryLog implements EvidenceSource {
  readonly lines: string[] = [];
  readonly hashes: string[] = [];
  readonly #listeners = new Set<() => void>();

  append(count: number, options: { readonly silent?: boolean } = {}): void {
    for (let i = 0; i < count; i++) {
      const seq = this.lines.length + 1;
      const prev = this.hashes.at(-1) ?? '0'.repeat(64);
      const hash = createHash('sha256').update(`${prev}|${seq}`).digest('hex');
      this.lines.push(`${JSON.stringify({ seq, prev, hash, daemon_id: DAEMON })}\n`);
      this.hashes.push(hash);
    }
    if (!options.silent) for (const listener of this.#listeners) listener();
  }

  async epoch() {
    return this.hashes[0] === undefined ? undefined : evidenceEpoch(this.hashes[0]);
  }

  lastSeq() {
    return this.lines.length;
  }

  async readAfter(seq: number, maxBytes: number, maxRecords: number): Promise<EvidenceBatch | undefined> {
    const lines: Uint8Array[] = [];
    let bytes = 0;
    for (let next = seq; next < this.lines.length && lines.length < maxRecords; next++) {
      const line = Buffer.from(this.lines[next] as string);
      if (lines.length > 0 && bytes + line.length > maxBytes) break;
      lines.push(line);
      bytes += line.length;
    }
    if (lines.length === 0) return undefined;
    const last = seq + lines.length;
    return { lines, first: seq + 1, last, lastHash: this.hashes[last - 1] as string };
  }

  onAppend(listener: () => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

let cluster: NatsCluster;
let fleet: Fleet;
let dir: string;
const log = new MemoryLog();
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 1 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
  dir = await mkdtemp(join(tmpdir(), 'cavra-ship-'));
});
afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What the shippers logged, `error` and `warn` messages with their fields. */
const logged: unknown[][] = [];
const logger = {
  warn: (message: string, fields?: Record<string, unknown>) => logged.push(['warn', message, fields]),
  error: (message: string, fields?: Record<string, unknown>) => logged.push(['error', message, fields]),
};
const cursorFile = () => join(dir, 'evidence-ship.json');
const shipper = (changes: Partial<ShipperOptions> = {}): ShipperHandle =>
  startShipper({ fleet, daemonId: DAEMON, source: log, cursorFile: cursorFile(), logger, ...changes });

/** The batches on the daemon's subject, in stream order: [first seq, last seq] from the headers. */
async function batches(): Promise<[number, number][]> {
  const found: [number, number][] = [];
  const info = await fleet.jsm.streams.info(EVIDENCE_STREAM);
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const message = await fleet.jsm.streams.getMessage(EVIDENCE_STREAM, { seq }).catch(() => null);
    if (message?.subject !== evidenceSubject(DAEMON)) continue;
    const records = new TextDecoder()
      .decode(message.data)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    const first = Number(message.header.get('Cavra-First-Seq'));
    const last = Number(message.header.get('Cavra-Last-Seq'));
    // The payload is the raw lines of exactly the records the headers name.
    expect(records).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    expect(message.header.get('Nats-Msg-Id')).toBe(`${DAEMON}:${await log.epoch()}:${first}-${last}`);
    found.push([first, last]);
  }
  return found;
}

/** True when the batches hold records 1..n each once, in order. */
function exactlyOnce(found: [number, number][], n: number): boolean {
  let next = 1;
  for (const [first, last] of found) {
    if (first !== next) return false;
    next = last + 1;
  }
  return next === n + 1;
}

const interesting = ({
  shippedSeq,
  pending,
  lastError,
  lostAcksRepaired,
  conflicts,
  resends,
}: ShipperState) => ({
  shippedSeq,
  pending,
  lastError,
  lostAcksRepaired,
  conflicts,
  resends,
});

test('ships the log in batches of at most batchMaxRecords; the cursor file follows each acknowledgement', async () => {
  log.append(2_500);
  const ship = shipper({ batchMaxRecords: 1_000 });
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    expect(interesting(ship.state())).toEqual({
      shippedSeq: 2_500,
      pending: 0,
      lastError: undefined,
      lostAcksRepaired: 0,
      conflicts: 0,
      resends: 0,
    });
  } finally {
    await ship.close();
  }
  expect(await batches()).toEqual([
    [1, 1_000],
    [1_001, 2_000],
    [2_001, 2_500],
  ]);
  expect(JSON.parse(await readFile(cursorFile(), 'utf8'))).toEqual({
    schema: 'cavra.fleet.ship-cursor.v1',
    daemon_id: DAEMON,
    epoch: await log.epoch(),
    seq: 2_500,
    hash: log.hashes[2_499],
    stream_seq: 3,
  });
  expect((await stat(cursorFile())).mode & 0o777).toBe(0o600);
});

test('a restart with a corrupt cursor continues after the stream: no duplicate, no gap, the cursor named', async () => {
  await writeFile(cursorFile(), '{"schema": "cavra.fleet.ship-cur');
  log.append(10);
  const ship = shipper();
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    expect(ship.state().cursorProblem).toBe(`the cursor file ${cursorFile()} is not JSON`);
  } finally {
    await ship.close();
  }
  const found = await batches();
  expect(found.slice(3)).toEqual([[2_501, 2_510]]);
  expect(exactlyOnce(found, 2_510)).toBe(true);
});

test('a batch that reached the subject unseen (an ack lost): the wrong last sequence makes the shipper look again', async () => {
  const ship = shipper();
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    // Record 2511 reaches the stream by a publish whose acknowledgement the shipper never got.
    log.append(2, { silent: true });
    const h = headers();
    for (const [name, value] of [
      ['Cavra-Daemon-Id', DAEMON],
      ['Cavra-Epoch', (await log.epoch()) as string],
      ['Cavra-First-Seq', '2511'],
      ['Cavra-Last-Seq', '2511'],
    ])
      h.set(name as string, value as string);
    await fleet.js.publish(evidenceSubject(DAEMON), log.lines[2_510] as string, {
      msgID: `${DAEMON}:${await log.epoch()}:2511-2511`,
      headers: h,
    });
    log.append(0);
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    expect(interesting(ship.state())).toMatchObject({ shippedSeq: 2_512, conflicts: 1, lostAcksRepaired: 0 });
  } finally {
    await ship.close();
  }
  const found = await batches();
  expect(found.slice(4)).toEqual([
    [2_511, 2_511],
    [2_512, 2_512],
  ]);
  expect(exactlyOnce(found, 2_512)).toBe(true);
});

test('a server restored from an older copy of its store lost acknowledged batches: re-sent from the local log', async () => {
  const node = cluster.nodes[0] as (typeof cluster.nodes)[number];
  const copy = join(dir, 'store-copy');
  await cluster.kill(0);
  await cp(node.storeDir, copy, { recursive: true });
  await cluster.restart(0);
  log.append(5);
  const before = shipper();
  try {
    expect(await before.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
  } finally {
    await before.close();
  }
  expect((await batches()).slice(6)).toEqual([[2_513, 2_517]]);
  // The server loses what it acknowledged after the copy.
  await cluster.kill(0);
  await rm(node.storeDir, { recursive: true, force: true });
  await cp(copy, node.storeDir, { recursive: true });
  await cluster.restart(0);
  log.append(3);
  const after = shipper();
  try {
    expect(await after.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    expect(interesting(after.state())).toMatchObject({ shippedSeq: 2_520, lostAcksRepaired: 5 });
    expect(logged).toContainEqual([
      'error',
      'fleet evidence: the stream lost acknowledged batches; re-sending them from the local log',
      { subject: 'cavra.evidence.ci-runner-7', acknowledged: 2_517, stream_holds: 2_512 },
    ]);
  } finally {
    await after.close();
  }
  const found = await batches();
  expect(found.slice(6)).toEqual([[2_513, 2_520]]);
  expect(exactlyOnce(found, 2_520)).toBe(true);
});

test("the verifier's re-send request: the records from from_seq are published again", async () => {
  let resent!: () => void;
  const done = new Promise<void>((resolve) => {
    resent = resolve;
  });
  const ship = shipper({
    onState: (state) => {
      if (state.resends === 1 && state.shippedSeq === 2_520) resent();
    },
  });
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    const resend = await openEvidenceBucket(fleet, 'resend');
    const request = {
      epoch: await log.epoch(),
      from_seq: 2_519,
      reason: 'broken_chain',
      at: new Date().toISOString(),
    };
    await resend.put(DAEMON, JSON.stringify(request));
    await done;
  } finally {
    await ship.close();
  }
  expect((await batches()).slice(7)).toEqual([[2_519, 2_520]]);
});

test('a re-send request with to_seq (a hole before the last batch): only the hole goes again, then shipping goes on; malformed ones are ignored', async () => {
  // The verifier removes a request once its head covers it: the one of the test before goes, so that only this one
  // is honoured (a new shipper honours a standing request).
  const resend = await openEvidenceBucket(fleet, 'resend');
  await resend.delete(DAEMON);
  const ship = shipper();
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    const request = {
      epoch: await log.epoch(),
      from_seq: 2_510,
      to_seq: 2_512,
      reason: 'sequence_gap',
      at: new Date().toISOString(),
    };
    // Requests that cannot be honoured as written go before it, ignored: a to_seq before from_seq, one not a number.
    for (const to_seq of [2_509, '2512']) await resend.put(DAEMON, JSON.stringify({ ...request, to_seq }));
    await resend.put(DAEMON, JSON.stringify(request));
    await vi.waitUntil(async () => (await batches()).length === 9, { timeout: 30_000, interval: 100 });
    // Appended after the filled hole: the next batch links to the hole's message, not the one before it.
    log.append(2);
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    expect(interesting(ship.state())).toMatchObject({ shippedSeq: 2_522, conflicts: 0, resends: 1 });
  } finally {
    await ship.close();
    await resend.delete(DAEMON);
  }
  expect((await batches()).slice(7)).toEqual([
    [2_519, 2_520],
    [2_510, 2_512],
    [2_521, 2_522],
  ]);
});

test('a local log shorter than what the stream holds (cut after shipping) is not extended on the stream: named', async () => {
  const before = await batches();
  const cut = new MemoryLog();
  cut.append(5); // the same records 1..5, so the same epoch: the rest of the log is gone
  let named!: (message: string) => void;
  const failure = new Promise<string>((resolve) => {
    named = resolve;
  });
  const ship = shipper({
    source: cut,
    cursorFile: join(dir, 'cut-ship.json'),
    onState: (state) => {
      if (state.lastError) named(state.lastError);
    },
  });
  try {
    expect(await failure).toBe(
      `the stream holds records up to 2522 of epoch ${await cut.epoch()} but the local log ends at 5: it was cut after shipping`,
    );
  } finally {
    await ship.close();
  }
  expect(await batches()).toEqual(before);
});

test('a running shipper with nothing new to ship looks again after a reconnect: a restored stream is repaired', async () => {
  const node = cluster.nodes[0] as (typeof cluster.nodes)[number];
  const copy = join(dir, 'store-copy-idle');
  let repaired!: () => void;
  const done = new Promise<void>((resolve) => {
    repaired = resolve;
  });
  const ship = shipper({
    onState: (state) => {
      if (state.lostAcksRepaired === 4 && state.shippedSeq === 2_526 && state.pending === 0) repaired();
    },
  });
  try {
    await cluster.kill(0);
    await cp(node.storeDir, copy, { recursive: true });
    await cluster.restart(0);
    log.append(4);
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
    await cluster.kill(0);
    await rm(node.storeDir, { recursive: true, force: true });
    await cp(copy, node.storeDir, { recursive: true });
    await cluster.restart(0);
    // Nothing was appended since: the reconnect alone makes the shipper look at the subject again.
    await done;
  } finally {
    await ship.close();
  }
  expect(logged).toContainEqual([
    'error',
    'fleet evidence: the stream lost acknowledged batches; re-sending them from the local log',
    { subject: 'cavra.evidence.ci-runner-7', acknowledged: 2_526, stream_holds: 2_522 },
  ]);
  // After the re-sends of the tests before, the lost batch once: no gap, no duplicate.
  expect((await batches()).slice(7)).toEqual([
    [2_519, 2_520],
    [2_510, 2_512],
    [2_521, 2_522],
    [2_523, 2_526],
  ]);
});

test('a batch published without an answer goes again as it was (same Msg-Id) before anything else', async () => {
  // The client is told the publish timed out. When the servers stored it after all but the shipper's look at the
  // subject came before that (a new leader still applying it, as in a chaos run), a batch with other bounds would
  // store its records twice; the same batch again is dropped by the server's duplicate window instead.
  const published: string[] = [];
  let answered = false;
  const js = new Proxy(fleet.js, {
    get(target, name, receiver) {
      if (name !== 'publish') return Reflect.get(target, name, receiver);
      return async (...args: Parameters<Fleet['js']['publish']>) => {
        published.push(String(args[2]?.msgID));
        if (!answered) {
          answered = true;
          log.append(2, { silent: true }); // recorded while the publish waited for its answer
          throw new TimeoutError();
        }
        return target.publish(...args);
      };
    },
  });
  log.append(3, { silent: true });
  const ship = shipper({ fleet: { ...fleet, js } });
  try {
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 2 }); // the two recorded meanwhile
    expect(await ship.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
  } finally {
    await ship.close();
  }
  const epoch = await log.epoch();
  expect(published).toEqual([
    `${DAEMON}:${epoch}:2527-2529`,
    `${DAEMON}:${epoch}:2527-2529`,
    `${DAEMON}:${epoch}:2530-2531`,
  ]);
  const found = await batches();
  expect(found.slice(-2)).toEqual([
    [2_527, 2_529],
    [2_530, 2_531],
  ]);
});

test("a failure to read the daemon's own log is named as such, not as a NATS error", async () => {
  let named!: (message: string) => void;
  const failure = new Promise<string>((resolve) => {
    named = resolve;
  });
  log.append(1, { silent: true });
  const broken: EvidenceSource = {
    epoch: () => log.epoch(),
    lastSeq: () => log.lastSeq(),
    readAfter: async () => {
      throw new Error('EIO: i/o error, read');
    },
    onAppend: (listener) => log.onAppend(listener),
  };
  const ship = shipper({
    source: broken,
    onState: (state) => {
      if (state.lastError) named(state.lastError);
    },
  });
  try {
    expect(await failure).toBe('the local evidence log could not be read: EIO: i/o error, read');
  } finally {
    await ship.close();
  }
  // The record it could not read ships once the log reads again.
  const next = shipper();
  try {
    expect(await next.drain(DRAIN_MS)).toEqual({ unshipped: 0 });
  } finally {
    await next.close();
  }
});

test('a cluster without the evidence stream (created by an older publisher): named, nothing shipped', async () => {
  await fleet.jsm.streams.delete(EVIDENCE_STREAM);
  let named!: (message: string) => void;
  const failure = new Promise<string>((resolve) => {
    named = resolve;
  });
  const ship = shipper({
    onState: (state) => {
      if (state.lastError) named(state.lastError);
    },
  });
  try {
    expect(await failure).toBe(
      'the fleet stream CAVRA_EVIDENCE does not exist: a publisher creates it (connectFleet with createBuckets)',
    );
  } finally {
    await ship.close();
  }
});
