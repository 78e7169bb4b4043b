// The central evidence verifier as operators run it: the `cavra-daemon evidence verifier` process, long-running,
// with its own receipt key. Its JSON log lines are read as they come: what it verified and when (its throughput),
// its alerts and its NATS failures.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI } from '../context.mjs';
import { until } from '../wait.mjs';

/** Starts the verifier on the context's cluster; `receiptPublicKey` is the PEM file daemons verify receipts with. */
export async function startVerifier(ctx) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const receiptKey = join(ctx.root, 'receipt-key.pem');
  const receiptPublicKey = join(ctx.root, 'receipt-key.pub.pem');
  await writeFile(receiptKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(receiptPublicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  const child = spawn(
    process.execPath,
    [CLI, 'evidence', 'verifier', '--nats', ctx.cluster.servers.join(','), '--receipt-key', receiptKey],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const state = {
    child,
    receiptKey,
    receiptPublicKey,
    publicKey,
    verifiedRecords: 0,
    /** Batches it read from the stream for a gap: the consumer delivered them late, or never. */
    fromStream: 0,
    /** [time (ms), verified records so far] at each verified batch. */
    progress: [],
    alerts: new Map(),
    /** daemon id → the problems the verifier named about it. */
    alerted: new Map(),
    errors: 0,
    ready: false,
    exit: undefined,
  };
  child.once('exit', (code, signal) => {
    state.exit = signal ?? code;
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.msg === 'verifying') state.ready = true;
    else if (entry.msg === 'batch verified') {
      state.verifiedRecords += entry.last_seq - entry.first_seq + 1;
      if (entry.from_stream) state.fromStream += 1;
      state.progress.push([Date.now(), state.verifiedRecords]);
    } else if (entry.msg === 'evidence alert') {
      state.alerts.set(entry.problem, (state.alerts.get(entry.problem) ?? 0) + 1);
      state.alerted.set(
        entry.daemon_id,
        (state.alerted.get(entry.daemon_id) ?? new Set()).add(entry.problem),
      );
    } else if (entry.level === 'error') state.errors += 1;
  });
  await until('the evidence verifier', async () => (state.ready ? true : undefined), 60_000);
  // SIGTERM, then SIGKILL after 30 s (the verifier's exit code or signal is reported).
  state.stop = () =>
    new Promise((resolve) => {
      if (state.exit !== undefined) return resolve(state.exit);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal ?? code);
      });
      child.kill('SIGTERM');
    });
  return state;
}

/** Records verified per second between two times (ms), from the verifier's progress. */
export function verifiedBetween(state, from, to) {
  const at = (time) => state.progress.findLast(([t]) => t <= time)?.[1] ?? 0;
  return at(to) - at(from);
}
