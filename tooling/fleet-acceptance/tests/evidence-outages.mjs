// Issue 23's Measure: every evidence record reaches the central stream exactly once, verified, through kills and
// outages. The fleet's daemons (plus two with shipping off, for the latency comparison) are asked RATE decisions/s
// each throughout, with the central verifier running: LOAD_S of chaos (kill -9 of a NATS node every 60 s, back after
// 20 s; of a daemon every 30 s, back after 5 s), then the whole cluster stopped DOWN_S (its store folders copied
// meanwhile, a daemon restarted, and a 5 MiB spool filled), restarted (the backlog's drain rate), then stopped again
// and restored from that copy (the server lost acknowledged writes: the shippers must repair it), restarted; then the
// load stops, the stream drains, and each daemon's stream is compared with its local log. Nightly:
// FLEET_ACCEPTANCE_NIGHTLY=1 (10 min and 10 min, and the spool's receipted segments pruned after prune_delay).
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EVIDENCE_BUCKETS, verifyEvidenceReceipt } from '@cavra/fleet';
import { startLoad } from '../evidence/load.mjs';
import { decisionIds, readLocalLog } from '../evidence/local-log.mjs';
import {
  fillSpool,
  SPOOL_FILL_CLIENTS,
  SPOOL_HEADROOM,
  SPOOL_MAX_BYTES,
  spoolBytes,
  spoolLevels,
} from '../evidence/spool.mjs';
import { checkStream } from '../evidence/stream-check.mjs';
import { startVerifier, verifiedBetween } from '../evidence/verifier.mjs';
import { percentile, sleep, until } from '../wait.mjs';

const nightly = process.env.FLEET_ACCEPTANCE_NIGHTLY === '1';
const LOAD_S = Number(process.env.EVIDENCE_LOAD_S ?? (nightly ? 600 : 120));
const DOWN_S = Number(process.env.EVIDENCE_DOWN_S ?? (nightly ? 600 : 120));
const RATE = Number(process.env.EVIDENCE_RATE ?? 50);
const PRUNE_DELAY_MS = 10 * 60_000;
const WAIT = 5 * 60_000;

export default {
  name: 'evidence-outages',
  async run(ctx) {
    const { daemons } = await ctx.fleet();
    // The fleet's daemons another test killed come back: all of them are asked.
    for (const daemon of daemons)
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) await ctx.start(daemon);
    const verifier = await startVerifier(ctx);
    try {
      await measure(ctx, daemons, verifier);
    } finally {
      await verifier.stop();
    }
  },
};

async function measure(ctx, daemons, verifier) {
  const fleetSection = (evidence) => ({
    fleet: {
      servers: ctx.cluster.servers,
      channel: ctx.channel,
      trust_root: ctx.trust.rootFile,
      poll_interval: '10s',
      evidence,
    },
  });
  const quiet = [];
  for (const name of ['ship-off-0', 'ship-off-1'])
    quiet.push(await ctx.daemonAt(name, { config: fleetSection({ ship: false }) }));
  const spool = await ctx.daemonAt('spool', {
    config: fleetSection({
      spool_max_bytes: SPOOL_MAX_BYTES,
      receipt_public_key: verifier.receiptPublicKey,
    }),
  });
  for (const daemon of [...quiet, spool]) await ctx.start(daemon);
  const shipping = [...daemons, spool];
  const stores = ctx.cluster.nodes.map((node) => node.storeDir);
  const health = async (daemon) => (await ctx.health(daemon)).fleet;
  // Each shipper's state with its log's end, from one health report. What waits is counted from the log's end, not
  // from the shipper's `pending`: a daemon whose follower has not connected yet (started just before an outage, it
  // retries with a backoff of up to 30 s) has no shipper, and its whole unshipped log waits all the same.
  const totals = async (set) => {
    const all = (await Promise.all(set.map((daemon) => ctx.health(daemon)))).map((report) => ({
      ...report.fleet.evidence_shipping,
      log_end: report.evidence.records,
    }));
    return {
      shipped: all.reduce((sum, h) => sum + h.shipped_seq, 0),
      pending: all.reduce((sum, h) => sum + h.log_end - h.shipped_seq, 0),
      repaired: all.reduce((sum, h) => sum + h.lost_acks_repaired, 0),
      unconnected: all.filter((h) => !h.connected).length,
      all,
    };
  };
  // Reached: every shipper has shipped its log up to its end at an earlier look. Not "nothing pending": the load goes
  // on, and 21 shippers are rarely all within a batch of their logs at one look.
  const logEnds = (now) => now.all.map((h) => h.log_end);
  const reached = (now, ends) => now.all.every((h, i) => h.shipped_seq >= ends[i]);
  /** Waits for `done(now)`; on a timeout first notes every shipper's state, so that a failure can be read. */
  const untilShipped = async (what, done) => {
    try {
      const probe = async () => {
        const now = await totals(shipping);
        return done(now) ? now : undefined;
      };
      return await until(what, probe, WAIT, 500);
    } catch (error) {
      const now = await totals(shipping).catch(() => undefined);
      for (const [i, h] of (now?.all ?? []).entries()) ctx.note(`${shipping[i].name}: ${JSON.stringify(h)}`);
      throw error;
    }
  };
  const allNodes = (action) => Promise.all([0, 1, 2].map((index) => action(index)));
  // A whole cluster started again elects a leader for every stream, one by one: on a loaded machine that may take
  // longer than the harness's readiness wait of one restart.
  const restartAll = async () => {
    await allNodes((index) => ctx.cluster.restart(index)).catch(() => undefined);
    await until('the restarted cluster ready', () => ctx.cluster.ready().then(() => true), 180_000);
  };

  const began = Date.now();
  const phase = (text) => ctx.note(`+${((Date.now() - began) / 1000).toFixed(0)} s: ${text}`);
  const load = startLoad([...daemons, ...quiet], RATE);
  let loadFigures;
  let restartedAt;
  const killed = new Set();
  try {
    // 1. Chaos: a NATS node killed every 60 s (back after 20 s), a daemon every 30 s (back after 5 s).
    const t0 = Date.now();
    const at = (seconds) => sleep(Math.max(0, t0 + seconds * 1000 - Date.now()));
    const events = [];
    let nodeKills = 0;
    for (let k = 0, s = 30; s + 20 <= LOAD_S; k++, s += 60)
      events.push(
        at(s).then(async () => {
          await ctx.cluster.kill(k % 3);
          nodeKills += 1;
          await sleep(20_000);
          await ctx.cluster.restart(k % 3);
        }),
      );
    for (let k = 0, s = 15; s + 5 <= LOAD_S; k++, s += 30)
      events.push(
        at(s).then(async () => {
          const daemon = daemons[k % daemons.length];
          killed.add(daemon);
          await ctx.stop(daemon, 'SIGKILL');
          await sleep(5_000);
          await ctx.start(daemon);
        }),
      );
    await Promise.all(events);
    await at(LOAD_S);
    ctx.note(
      `chaos: ${LOAD_S} s, ${daemons.length + quiet.length} daemons at ${RATE}/s, ${nodeKills} NATS node kills, ${killed.size} daemon kills`,
    );

    // 2. The whole cluster stopped; its store folders copied while it is down; the spool fills. Shut down, not
    // killed: a node killed -9 loses what it had not written out, differently per node, so copies of killed nodes
    // disagree, and restoring them (step 4) breaks the servers' replication, not just their memory (docs/fleet.md).
    await allNodes((index) => ctx.cluster.shutDown(index));
    const downAt = Date.now();
    // A daemon started while the cluster is down has no shipper until its follower connects (its retries back off
    // up to 30 s): its backlog must drain, and the restore's loss be repaired, all the same. A CI run had one such
    // daemon by chance (killed by the chaos 15 s before the outage, not connected yet under load).
    const late = daemons.at(-1);
    killed.add(late);
    await ctx.stop(late, 'SIGKILL');
    await ctx.start(late);
    phase('cluster stopped; copying its store folders, filling the spool');
    const copied = Promise.all(
      stores.map((store, index) => cp(store, join(ctx.root, `store-copy-${index}`), { recursive: true })),
    );
    const filled = await fillSpool(spool, downAt + DOWN_S * 1000);
    await copied;
    const spoolHealth = await health(spool);
    await sleep(Math.max(0, downAt + DOWN_S * 1000 - Date.now()));
    const before = await totals(shipping);
    const backlogEnds = logEnds(before);
    phase(
      `restarting the cluster (${before.pending} records waiting; ${before.unconnected} of ${shipping.length} shippers not connected yet)`,
    );

    // 3. Restarted: the backlog drains while the daemons go on deciding. Shipping resumes once the evidence stream
    // has a leader, before every stream has one: the drain is timed from the last look before the first record
    // shipped to the first look at which every shipper had shipped its whole backlog.
    restartedAt = Date.now();
    const looks = [];
    let looking = true;
    const looker = (async () => {
      while (looking) {
        const now = await totals(shipping).catch(() => undefined);
        if (now) looks.push({ at: Date.now(), shipped: now.shipped, drained: reached(now, backlogEnds) });
        await sleep(250);
      }
    })();
    await restartAll();
    phase(`cluster ready in ${((Date.now() - restartedAt) / 1000).toFixed(1)} s`);
    await untilShipped('the backlog shipped', () => looks.at(-1)?.drained === true).finally(() => {
      looking = false;
    });
    await looker;
    const first = looks[Math.max(0, looks.findIndex((look) => look.shipped > before.shipped) - 1)];
    const last = looks.at(-1);
    const seconds = (last.at - first.at) / 1000;
    const rate = (last.shipped - first.shipped) / seconds;
    ctx.target(
      'evidence backlog drain after the whole cluster was down',
      rate >= 2_000,
      `${last.shipped - first.shipped} records shipped in ${seconds.toFixed(1)} s = ${Math.round(rate)} records/s (≥ 2000; backlog ${before.pending} after ${DOWN_S} s down, the daemons deciding throughout)`,
    );
    const verified = verifiedBetween(verifier, first.at, last.at);
    ctx.note(
      `central verifier meanwhile: ${verified} records verified = ${Math.round(verified / seconds)} records/s`,
    );

    // The spool: warnings from 80 %, recorded blocks at 100 %, never above limit + headroom.
    const levels = await spoolLevels(spool.evidenceLog);
    // Each of the concurrent clients may have one decision under way when a level is crossed: its record lands past
    // the threshold (a record is about 1 KiB), so the level's first record may start that much later.
    const slack = SPOOL_FILL_CLIENTS * 2048;
    const spoolOk =
      levels.warnedAt >= 0.8 * SPOOL_MAX_BYTES &&
      levels.warnedAt <= 0.8 * SPOOL_MAX_BYTES + slack &&
      levels.blockedAt >= SPOOL_MAX_BYTES &&
      levels.blockedAt <= SPOOL_MAX_BYTES + slack &&
      levels.unwarned === 0 &&
      levels.allowedAfterFull === 0 &&
      levels.blocks > 0 &&
      filled.maxDisk <= SPOOL_MAX_BYTES + SPOOL_HEADROOM &&
      spoolHealth.spool.level === 'full';
    ctx.report(
      '5 MiB spool with the cluster down',
      spoolOk,
      `${filled.decisions} decisions: warnings from byte ${levels.warnedAt} (${((100 * levels.warnedAt) / SPOOL_MAX_BYTES).toFixed(1)} %), recorded blocks from byte ${levels.blockedAt} (${((100 * levels.blockedAt) / SPOOL_MAX_BYTES).toFixed(1)} %), ${levels.blocks} blocks, ${levels.unwarned} decisions unwarned after 80 %, ${levels.allowedAfterFull} not blocked after 100 %, ${filled.refused ? 'then refused' : 'never refused'}; disk at most ${filled.maxDisk} B (limit + headroom ${SPOOL_MAX_BYTES + SPOOL_HEADROOM} B); health ${spoolHealth.spool.level}`,
    );

    // 4. Lost acknowledged writes: the cluster stopped again, its store folders restored from the copy.
    const acknowledgedEnds = (await totals(shipping)).all.map((h) => h.shipped_seq);
    await allNodes((index) => ctx.cluster.kill(index));
    await Promise.all(
      stores.map(async (store, index) => {
        await rm(store, { recursive: true, force: true });
        await cp(join(ctx.root, `store-copy-${index}`), store, { recursive: true });
      }),
    );
    phase('cluster stopped, store folders restored from the copy');
    const lostBefore = (await totals(shipping)).repaired;
    await restartAll();
    // Repaired: each shipper saw the loss and shipped again everything acknowledged before the restore.
    const repaired = await untilShipped(
      'the shippers repaired the restored stream',
      (now) => reached(now, acknowledgedEnds) && now.all.every((h) => h.lost_acks_repaired > 0),
    ).catch((error) => error);
    ctx.report(
      'lost acknowledged writes (store folders restored from a copy): every shipper repairs',
      !(repaired instanceof Error),
      repaired instanceof Error
        ? `${repaired.message}: ${(await totals(shipping)).all.filter((h) => !(h.lost_acks_repaired > 0)).length} of ${shipping.length} shippers saw no loss`
        : `${repaired.repaired - lostBefore} acknowledged records the server lost, re-sent from the local logs`,
    );
  } finally {
    loadFigures = await load.stop();
  }

  phase('load stopped');
  // 5. Drained: the stream against each local log, the receipts against each log's last record.
  await until(
    'every shipper drained',
    async () => ((await totals(shipping)).pending === 0 ? true : undefined),
    WAIT,
    500,
  ).catch(() => undefined);
  const logs = new Map();
  for (const daemon of shipping) logs.set(daemon, await readLocalLog(daemon.evidenceLog));
  const receipts = await ctx.publisher.kvm.open(EVIDENCE_BUCKETS.receipts);
  const receiptOf = async (daemon) => {
    const entry = await receipts.get(daemon.daemonId);
    return entry?.operation === 'PUT' ? verifyEvidenceReceipt(entry.string(), verifier.publicKey) : undefined;
  };
  const finalStart = Date.now();
  const receiptsMatch = await until(
    'every receipt at its log’s last record',
    async () => {
      for (const daemon of shipping) {
        const receipt = await receiptOf(daemon);
        if (receipt?.seq !== logs.get(daemon).lastSeq) return undefined;
      }
      return true;
    },
    WAIT,
    500,
  ).catch(() => false);
  // The verifier's throughput: what it verified from the first restart (the backlog, then the re-sent records) until
  // it had verified every log to its end.
  const busy = verifier.progress.filter(([at]) => at >= restartedAt);
  const busySeconds = busy.length > 1 ? (busy.at(-1)[0] - busy[0][0]) / 1000 : 0;
  const busyRecords = busy.length > 1 ? busy.at(-1)[1] - busy[0][1] : 0;
  ctx.note(
    `central verifier caught up ${((Date.now() - finalStart) / 1000).toFixed(1)} s after the drain; since the first restart it verified ${busyRecords} records in ${busySeconds.toFixed(1)} s from its first to its last batch = ${Math.round(busyRecords / busySeconds)} records/s (idle spells included)`,
  );
  // Every record of every log must be on the stream, byte for byte, and once (gated). In order too, except where the
  // server lost a batch between others it kept: the verifier names that hole (`sequence_gap`) and the shipper re-sends
  // exactly it, after its successors; that repair is the protocol's, printed (and gated when no alert explains it).
  const sums = { records: 0, batches: 0, absent: 0, copies: 0, late: 0, differ: 0, prunedLocally: 0 };
  const incomplete = [];
  const copied = [];
  const unexplained = [];
  const repaired = [];
  for (const daemon of shipping) {
    const figures = await checkStream(ctx.publisher, daemon.daemonId, logs.get(daemon));
    for (const key of Object.keys(sums)) sums[key] += figures[key];
    const detail = `${daemon.name}: ${JSON.stringify({ ...figures, epochs: [...figures.epochs] })} (local 1..${logs.get(daemon).lastSeq})`;
    if (figures.absent + figures.differ > 0 || figures.epochs.size !== 1) incomplete.push(detail);
    else if (figures.copies > 0) copied.push(detail);
    else if (figures.late > 0)
      (verifier.alerted.get(daemon.daemonId)?.has('sequence_gap') ? repaired : unexplained).push(detail);
  }
  for (const detail of [...incomplete, ...copied, ...unexplained, ...repaired]) ctx.note(detail);
  ctx.report(
    'evidence stream holds every record of every log, byte for byte',
    incomplete.length === 0,
    `${shipping.length} daemons, ${sums.records} records in ${sums.batches} batches: ${sums.absent} absent, ${sums.differ} batches not byte-equal to the local log, ${sums.prunedLocally} pruned locally (not compared); ${incomplete.length} daemons incomplete`,
  );
  ctx.report(
    'evidence stream holds each record once, in order (or a hole the server lost, re-sent after its successors)',
    copied.length + unexplained.length === 0,
    `${sums.copies} records twice (on ${copied.length} daemons), ${sums.late} batches after a hole: ${repaired.length} daemons repaired after the verifier's sequence_gap, ${unexplained.length} daemons without such an alert`,
  );
  const mismatched = [];
  for (const daemon of shipping) {
    const receipt = await receiptOf(daemon).catch(() => undefined);
    const log = logs.get(daemon);
    const lastLine = log.bytes.subarray(log.ends.at(-2) ?? 0, log.ends.at(-1)).toString('utf8');
    if (receipt?.seq !== log.lastSeq || receipt.hash !== JSON.parse(lastLine).hash)
      mismatched.push(daemon.name);
  }
  const alerts = [...verifier.alerts].map(([problem, count]) => `${problem} ${count}`).join(', ') || 'none';
  ctx.report(
    'every chain verified centrally; every receipt is its log’s last record',
    receiptsMatch && mismatched.length === 0,
    `${shipping.length - mismatched.length}/${shipping.length} receipts equal the local last seq and hash${mismatched.length ? ` (not: ${mismatched.join(', ')})` : ''}; verifier alerts: ${alerts}; ${verifier.verifiedRecords} records verified (${verifier.fromStream} batches read from the stream for a gap), NATS failures retried ${verifier.errors}, ${verifier.exit === undefined ? 'still running' : `exited ${verifier.exit}`}`,
  );

  // Nothing an agent was answered is missing from its daemon's log (kill -9 included).
  let answered = 0;
  let absent = 0;
  for (const figures of loadFigures) {
    if (!logs.has(figures.daemon)) continue;
    const ids = decisionIds(logs.get(figures.daemon));
    answered += figures.answered.size;
    for (const id of figures.answered) if (!ids.has(id)) absent += 1;
  }
  ctx.report(
    'every answered decision is in its daemon’s log',
    absent === 0,
    `${answered} answered, ${absent} absent; ${loadFigures.reduce((sum, f) => sum + f.errors, 0)} requests failed (daemons killed)`,
  );

  // Shipping on vs off: the daemons never killed against the two with shipping off, under the same load. The nightly
  // run kills every daemon once: then all of them, their restarts included.
  const latencies = (set) => loadFigures.filter((f) => set.includes(f.daemon)).flatMap((f) => f.latencies);
  const neverKilled = daemons.filter((d) => !killed.has(d));
  const on = latencies(neverKilled.length > 0 ? neverKilled : daemons);
  const off = latencies(quiet);
  const ratio = percentile(on, 99) / percentile(off, 99);
  ctx.target(
    'decision p99 with evidence shipping on vs off',
    ratio <= 1.1,
    `p99 ${percentile(on, 99).toFixed(2)} vs ${percentile(off, 99).toFixed(2)} ms (${ratio.toFixed(2)}×, ≤ 1.1×), p50 ${percentile(on, 50).toFixed(2)} vs ${percentile(off, 50).toFixed(2)} ms; ${on.length} and ${off.length} decisions${neverKilled.length > 0 ? '' : ' (every shipping daemon was killed once: all of them)'}`,
  );

  // Pruning: only receipted segments, and only once the receipt is prune_delay old.
  const spoolLog = await readFile(spool.logFile, 'utf8');
  const reasons = [...spoolLog.matchAll(/"msg":"fleet: no evidence segment pruned".*?"reason":"(\w+)"/g)].map(
    (m) => m[1],
  );
  const pruned = await readFile(`${spool.evidenceLog}.pruned`, 'utf8').then(JSON.parse, () => undefined);
  const segments = (await readLocalLog(spool.evidenceLog)).segments;
  if (!nightly) {
    ctx.report(
      'spool: nothing pruned before prune_delay',
      pruned === undefined && segments > 0,
      `${segments} closed segments kept, ${await spoolBytes(spool.evidenceLog)} B; pruner said: ${[...new Set(reasons)].join(', ') || 'nothing'} (prune_delay 10 min: the nightly run waits it out)`,
    );
  } else {
    const receipt = await receiptOf(spool);
    const mark = await until(
      'the spool pruned',
      async () => readFile(`${spool.evidenceLog}.pruned`, 'utf8').then(JSON.parse),
      PRUNE_DELAY_MS + WAIT,
      5_000,
    ).catch(() => undefined);
    const left = await readLocalLog(spool.evidenceLog);
    ctx.report(
      'spool: receipted segments pruned after prune_delay',
      mark !== undefined && mark.seq <= receipt.seq && left.firstSeq === mark.seq + 1,
      `pruned through seq ${mark?.seq} (receipt ${receipt?.seq}), ${left.segments} segments left from seq ${left.firstSeq}, ${await spoolBytes(spool.evidenceLog)} B`,
    );
  }
  for (const daemon of [...quiet, spool]) await ctx.stop(daemon);
}
