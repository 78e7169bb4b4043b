#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DaemonClient } from '@cavra/daemon-client';
import type { EvidenceReceipt } from '@cavra/fleet';
import type { Daemon } from './daemon.js';
import type { DaemonConfig } from './daemon-config.js';
import { type EvidenceKeyOption, loadEvidenceKey } from './evidence-key-option.js';
import { EVIDENCE_VERIFIER_USAGE, evidenceVerifierCommand } from './evidence-verifier-command.js';
import { readLines } from './log-lines.js';
import { jsonLogger } from './logger.js';
import { fileErrorText, openOwnFile } from './own-file.js';
import { readPidFile, removePidFile, writePidFile } from './pid-file.js';
import { processRunning, runsDaemonCli } from './process-running.js';
import { readReloadStatus, writeReloadStatus } from './reload-status.js';
import { UPSTREAM_EVIDENCE_SCHEMA } from './upstream-evidence.js';
import { UsageError } from './usage-error.js';
import { type EvidenceAnchor, verifyEvidenceLog } from './verify-evidence-log.js';
import { DAEMON_VERSION } from './version.js';

// The daemon, its config loader and the client are imported by the commands that use them, so that `evidence
// verify`, `--version` and `--help` start without loading the policy engine, the schema validator or the client.
const createClient = async (options: { socketPath: string; timeoutMs: number }) =>
  (await import('@cavra/daemon-client')).createClient(options);

const USAGE = `cavra-daemon ${DAEMON_VERSION}: the CAVRA local enforcement daemon

usage:
  cavra-daemon start   [--config FILE] [--socket PATH] [--foreground] [--accept-truncated]
  cavra-daemon stop    [--config FILE] [--socket PATH]
  cavra-daemon status  [--config FILE] [--socket PATH]
  cavra-daemon reload  [--config FILE] [--socket PATH]
  cavra-daemon enroll  [--config FILE]
  cavra-daemon evidence verify FILE [--anchor HASH | --anchor RECEIPT --anchor-key PEM] [--key-file FILE | --key-env VAR]
                                    [--key-id ID] [--log-id ID]
  cavra-daemon evidence export FILE --format upstream [--key-file FILE | --key-env VAR] [--key-id ID]
  ${EVIDENCE_VERIFIER_USAGE}

options:
  --config FILE   daemon configuration, YAML or JSON (default: ./cavra-daemon.yaml)
  --socket PATH   socket path, overriding the configuration
  --foreground    stay attached (for process managers); logs go to stderr
  --accept-truncated
                  start on an evidence log shorter than its checkpoint, or missing while the checkpoint exists,
                  instead of refusing to; the first record appended says so (truncation_accepted)
  --anchor HASH   evidence verify: the log must hold a record with this hash (an evidence.last_hash from status
                  kept elsewhere), which detects records removed from the end
  --anchor-key PEM
                  evidence verify: --anchor is then a receipt file of the fleet's evidence verifier (a JWS from KV
                  cavra_evidence_receipts), checked with this Ed25519 public key: the log must hold the receipt's seq
                  with the receipt's hash, in the receipt's epoch (a truncated or rewritten tail is a problem)
  --key-file FILE evidence verify: the evidence signing key (the daemon's evidence_signing secret); every record
  --key-env VAR   must carry a valid signature by it
  --key-id ID     evidence verify: the signatures must name this key id
  --log-id ID     evidence verify: the id of the log the signatures must be bound to (the id in its evidence refs;
                  default: the id of FILE's own path): to verify a copy kept elsewhere
  --format upstream
                  evidence export: write FILE's records to stdout as upstream's cavra.go-daemon.evidence.v1 records
                  (its --verify-evidence accepts them); with a key, signed as upstream signs them

evidence verifier is the fleet's central evidence verifier: it consumes the CAVRA_EVIDENCE stream the daemons ship
their logs to, checks each daemon's chain as evidence verify does (--evidence-key: the evidence_signing secret, to
check every HMAC too) from the head it stored, and signs a receipt per daemon with --receipt-key (an Ed25519 private
key, PEM, owner-only). Breaks are alerts on cavra.evidence_alerts.<daemon id> and re-send requests. --nats, --user,
--password-env, --token-env, --creds: the NATS connection, as the daemon's fleet: section. --once: handle what the
stream holds and exit (1 when it raised alerts); otherwise it runs until SIGTERM.

enroll gives the daemon its fleet identity, a random daemon id kept in <evidence_log>.daemon-id (mode 600), and
prints it; an enrolled daemon keeps its id (enrolling again prints it). Every evidence record and health report of
an enrolled daemon names it; a daemon with a fleet: section must be enrolled before it starts.

exit codes: 0 done (reload: applied), 1 failed (reload: rejected, the old policy stays), 2 usage,
            3 reload: no verdict (the daemon is not running or did not answer)
`;

/** How long the CLI waits for a daemon to start, stop or report a reload. */
const WAIT_STEPS = 150;
const WAIT_STEP_MS = 100;

async function main(argv: string[]): Promise<number> {
  // The verifier has options of its own (the NATS connection, its keys): it parses them itself.
  if (argv[0] === 'evidence' && argv[1] === 'verifier') return evidenceVerifierCommand(argv.slice(2));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'cavra-daemon.yaml' },
      socket: { type: 'string' },
      foreground: { type: 'boolean', default: false },
      'accept-truncated': { type: 'boolean', default: false },
      anchor: { type: 'string' },
      'anchor-key': { type: 'string' },
      'key-file': { type: 'string' },
      'key-env': { type: 'string' },
      'key-id': { type: 'string' },
      'log-id': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) return print(USAGE, 0);
  if (values.version) return print(`${DAEMON_VERSION}\n${bundledPackages()}`, 0);
  const [command, ...rest] = positionals;
  const keyOptions = [values['key-file'], values['key-env'], values['key-id'], values['log-id']];
  if (command === 'evidence' && rest[0] === 'export') {
    if (rest.length !== 2 || values.format !== 'upstream')
      throw new UsageError(
        'usage: cavra-daemon evidence export FILE --format upstream [--key-file FILE | --key-env VAR]',
      );
    if (values.anchor !== undefined || values['anchor-key'] !== undefined || values['log-id'] !== undefined)
      throw new UsageError('--anchor, --anchor-key and --log-id are options of evidence verify');
    if (values['key-file'] !== undefined && values['key-env'] !== undefined)
      throw new UsageError('give the evidence key once: --key-file or --key-env');
    if (values['key-id'] !== undefined && values['key-file'] === undefined && values['key-env'] === undefined)
      throw new UsageError('--key-id needs the key: --key-file or --key-env');
    return exportUpstream(rest[1] as string, values['key-file'], values['key-env'], values['key-id']);
  }
  if (values.format !== undefined) throw new UsageError('--format is an option of evidence export');
  if (command === 'evidence') {
    if (rest[0] !== 'verify' || rest.length !== 2)
      throw new UsageError(
        'usage: cavra-daemon evidence verify FILE [--anchor HASH | --anchor RECEIPT --anchor-key PEM] [--key-file FILE | --key-env VAR]',
      );
    if (values['anchor-key'] !== undefined && values.anchor === undefined)
      throw new UsageError('--anchor-key needs --anchor RECEIPT: the receipt file it checks');
    if (
      values['anchor-key'] === undefined &&
      values.anchor !== undefined &&
      !/^[0-9a-f]{64}$/.test(values.anchor)
    )
      throw new UsageError(
        '--anchor must be a SHA-256 hash: 64 lowercase hex digits (or a receipt file, with --anchor-key)',
      );
    if (values['key-file'] !== undefined && values['key-env'] !== undefined)
      throw new UsageError('give the evidence key once: --key-file or --key-env');
    if (values['key-id'] !== undefined && values['key-file'] === undefined && values['key-env'] === undefined)
      throw new UsageError('--key-id needs the key: --key-file or --key-env');
    if (values['log-id'] !== undefined && !/^[0-9a-f]{16}$/.test(values['log-id']))
      throw new UsageError('--log-id must be an evidence log id: 16 lowercase hex digits');
    return verify(
      rest[1] as string,
      values['anchor-key'] === undefined
        ? values.anchor
        : { receiptFile: values.anchor as string, publicKeyFile: values['anchor-key'] },
      values['key-file'],
      values['key-env'],
      values['key-id'],
      values['log-id'],
    );
  }
  if (values.anchor !== undefined || values['anchor-key'] !== undefined)
    throw new UsageError('--anchor and --anchor-key are options of evidence verify');
  if (keyOptions.some((value) => value !== undefined))
    throw new UsageError('--key-file, --key-env, --key-id and --log-id are options of evidence verify');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const acceptTruncated = values['accept-truncated'];
  if (acceptTruncated && command !== 'start')
    throw new UsageError('--accept-truncated is an option of start');
  const load = async () =>
    (await import('./daemon-config.js')).loadDaemonConfig(
      values.config,
      values.socket ? { socketPath: values.socket } : {},
    );
  switch (command) {
    case 'start':
      return values.foreground
        ? runForeground(await load(), acceptTruncated)
        : startBackground(await load(), values.config, values.socket, acceptTruncated);
    case 'stop':
      return stop(await load());
    case 'status':
      return status(await load());
    case 'reload':
      return reload(await load());
    case 'enroll':
      return enroll(await load());
    default:
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
  }
}

/**
 * The packages built into the bundled command (dist/bin/bundled-packages.json, written by its build), one line each:
 * installing another version of one of them beside the daemon does not change what the command runs. Empty for the
 * unbundled command (dist/cli.js), which loads the installed packages.
 */
function bundledPackages(): string {
  let listed: Record<string, string>;
  try {
    listed = JSON.parse(readFileSync(new URL('./bundled-packages.json', import.meta.url), 'utf8'));
  } catch {
    return '';
  }
  return Object.entries(listed)
    .map(([name, version]) => `bundled ${name} ${version}\n`)
    .join('');
}

function print(text: string, code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(text);
  return code;
}

// The script this command was started as (the `cavra-daemon` launcher of the bundled command, or dist/cli.js): a
// background start runs the daemon the same way, and a pid is our daemon's when it runs that script.
const CLI_PATH = resolve(process.argv[1] ?? fileURLToPath(import.meta.url));

/** What the pid file leads to: our live daemon, nothing, or a pid that is not (or no longer) our daemon. */
type PidFileState =
  | { readonly kind: 'daemon'; readonly pid: number }
  | { readonly kind: 'none' }
  | { readonly kind: 'stale'; readonly pid: number; readonly why: string };

/**
 * Reads the pid file and proves that its pid is our daemon before anything signals it: the daemon answering health
 * on our socket with that pid, or (when it does not answer, e.g. it hangs) /proc showing that pid runs this CLI's
 * `start --foreground`. A pid that fails both is a stale file's: its process is gone, or the pid was reused by an
 * unrelated process, which must never be sent a signal.
 */
async function pidFileState(config: DaemonConfig): Promise<PidFileState> {
  const pid = await readPidFile(config.pidFile);
  if (pid === undefined) return { kind: 'none' };
  if (!processRunning(pid)) return { kind: 'stale', pid, why: 'that process is gone' };
  const client = await createClient({ socketPath: config.socketPath, timeoutMs: 1000 });
  const health = await client.health().catch(() => undefined);
  await client.close();
  if (health?.pid === pid || runsDaemonCli(pid, CLI_PATH)) return { kind: 'daemon', pid };
  return { kind: 'stale', pid, why: 'that process is not our cavra-daemon' };
}

/** Removes a stale pid file; returns the note that says so. */
async function clearStale(config: DaemonConfig, state: PidFileState & { kind: 'stale' }): Promise<string> {
  await removePidFile(config.pidFile, state.pid);
  return `removed the stale pid file ${config.pidFile} (pid ${state.pid}: ${state.why})\n`;
}

async function runForeground(config: DaemonConfig, acceptTruncated: boolean): Promise<number> {
  const logger = jsonLogger();
  try {
    const running = await pidFileState(config);
    // Our own pid in the file is a leftover of an earlier life (a restarted container), not another daemon.
    if (running.kind === 'daemon' && running.pid !== process.pid) {
      logger.error('already running', { pid: running.pid, pid_file: config.pidFile });
      return 1;
    }
  } catch (error) {
    logger.error('failed to start', { error: fileErrorText('read', 'pid file', config.pidFile, error) });
    return 1;
  }
  // Installed before starting: a SIGTERM or SIGHUP that arrives meanwhile must not kill a half-started daemon.
  let daemon: Daemon | undefined;
  let stopSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    stopSignal = resolveStop;
  });
  process.once('SIGTERM', stopSignal);
  process.once('SIGINT', stopSignal);
  let reloads = 0;
  // Verdicts are written one after another, in reload order: a later verdict is never overwritten by an earlier one.
  let reported: Promise<void> = Promise.resolve();
  process.on('SIGHUP', () => {
    const seq = ++reloads;
    const verdict = daemon
      ? daemon.reload().then(
          () => ({ applied: true, policyDigests: daemon?.health().policy_digests ?? {} }),
          (error: Error) => ({ applied: false, error: error.message }), // logged by the daemon too
        )
      : Promise.resolve({ applied: false, error: 'the daemon is still starting' });
    reported = reported
      .then(() => verdict)
      .then((outcome) => writeReloadStatus(config.pidFile, { pid: process.pid, seq, ...outcome }))
      .catch((error: Error) => logger.error('cannot write the reload status', { error: error.message }));
  });
  try {
    const { startDaemon } = await import('./daemon.js');
    daemon = await startDaemon(config, { logger, ...(acceptTruncated ? { acceptTruncatedLog: true } : {}) });
  } catch (error) {
    logger.error('failed to start', { error: (error as Error).message });
    return 1;
  }
  try {
    await writePidFile(config.pidFile, process.pid);
  } catch (error) {
    logger.error('failed to start', { error: fileErrorText('write', 'pid file', config.pidFile, error) });
    await daemon.close();
    return 1;
  }
  const signal = await stopped;
  // close() stops accepting before it first waits, so once `stopping` is logged no new connection is taken.
  const closed = daemon.close();
  logger.info('stopping', { signal });
  await closed;
  await removePidFile(config.pidFile, process.pid);
  // As `stop` does: a process manager (or a CI job) must see that records stayed behind.
  if (!config.fleet?.evidence.ship) return 0;
  const { unshippedRecords } = await import('./fleet-evidence-shipping.js');
  const unshipped = await unshippedRecords(config.evidenceLog, config.fleet.stateDir);
  if (unshipped === 0) return 0;
  logger.error('stopped with evidence records not shipped', {
    unshipped,
    drain_timeout: config.fleet.evidence.drainTimeout,
    evidence_log: config.evidenceLog,
  });
  return 1;
}

async function startBackground(
  config: DaemonConfig,
  configFile: string,
  socket: string | undefined,
  acceptTruncated: boolean,
): Promise<number> {
  const running = await pidFileState(config);
  if (running.kind === 'daemon') return print(`cavra-daemon is already running (pid ${running.pid})\n`, 1);
  if (running.kind === 'stale') process.stderr.write(await clearStale(config, running));
  const logFile = join(dirname(config.pidFile), 'daemon.log');
  const args = [CLI_PATH, 'start', '--foreground', '--config', resolve(configFile)];
  if (socket) args.push('--socket', resolve(socket));
  if (acceptTruncated) args.push('--accept-truncated');
  const client = await createClient({ socketPath: config.socketPath, timeoutMs: 1000 });
  try {
    const other = await client.health().catch(() => undefined);
    if (other) {
      return print(`a daemon (pid ${other.pid}) is already listening on ${config.socketPath}\n`, 1);
    }
    await mkdir(dirname(config.pidFile), { recursive: true, mode: 0o700 });
    return await spawnAndWait(config, args, logFile, client);
  } finally {
    await client.close();
  }
}

async function spawnAndWait(
  config: DaemonConfig,
  args: string[],
  logFile: string,
  client: DaemonClient,
): Promise<number> {
  const log = await openOwnFile(
    logFile,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
    'log file',
  );
  const logStart = (await log.stat()).size;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', log.fd] });
  } finally {
    await log.close();
  }
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  for (let attempt = 0; attempt < WAIT_STEPS; attempt++) {
    if (exited !== null) {
      const reasons = await loggedErrors(logFile, logStart);
      return print(
        `cavra-daemon failed to start: ${reasons.join('; ') || `it exited with code ${exited}`}\n(log: ${logFile})\n`,
        1,
      );
    }
    const health = await client.health().catch(() => undefined);
    // Only our child's answer counts: another daemon that took the socket meanwhile is not a successful start. Its
    // pid file is written just after it starts listening: wait for it too, so a `stop` right after `start` finds it.
    const ours = health !== undefined && health.pid === child.pid;
    if (ours && (await readPidFile(config.pidFile).catch(() => undefined)) === child.pid) {
      return print(`cavra-daemon ${health.version} started (pid ${child.pid}) on ${config.socketPath}\n`, 0);
    }
    await new Promise((wait) => setTimeout(wait, WAIT_STEP_MS));
  }
  return print(`cavra-daemon did not answer within 15 s; see ${logFile}\n`, 1);
}

/** The `error` of every error line the daemon logged from `offset` on: why it failed, in its own words. */
async function loggedErrors(logFile: string, offset: number): Promise<string[]> {
  let text = '';
  try {
    const log = await openOwnFile(logFile, constants.O_RDONLY, 'log file');
    try {
      text = (await log.readFile()).subarray(offset).toString('utf8');
    } finally {
      await log.close();
    }
  } catch {
    return []; // no reasons to add: the caller still names the log
  }
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string; pid?: number };
      if (entry.level !== 'error') return [];
      if (entry.msg === 'already running') return [`a daemon (pid ${entry.pid}) is already running`];
      return [entry.error ?? entry.msg ?? line];
    } catch {
      return [];
    }
  });
}

async function stop(config: DaemonConfig): Promise<number> {
  const running = await pidFileState(config);
  if (running.kind === 'none') return print('cavra-daemon is not running\n', 0);
  if (running.kind === 'stale')
    return print(`cavra-daemon is not running; ${await clearStale(config, running)}`, 0);
  const { pid } = running;
  const refused = send(pid, 'SIGTERM');
  if (refused) return print(refused, 1);
  // A fleet daemon first ships its evidence, for up to drain_timeout.
  const shipping = config.fleet?.evidence.ship ? config.fleet : undefined;
  const drainSteps = shipping
    ? Math.ceil(
        ((await import('@cavra/approvals')).parseDuration(shipping.evidence.drainTimeout) * 1000) /
          WAIT_STEP_MS,
      )
    : 0;
  for (let attempt = 0; attempt < WAIT_STEPS + drainSteps; attempt++) {
    // A clean stop removes the pid file last; waiting for the pid alone would wait for the reaper of a detached
    // daemon, which can be slow to collect it.
    if (!processRunning(pid) || (await readPidFile(config.pidFile).catch(() => undefined)) !== pid) {
      if (!shipping) return print(`cavra-daemon stopped (pid ${pid})\n`, 0);
      const { unshippedRecords } = await import('./fleet-evidence-shipping.js');
      const unshipped = await unshippedRecords(config.evidenceLog, shipping.stateDir);
      return unshipped === 0
        ? print(`cavra-daemon stopped (pid ${pid}); its evidence is shipped\n`, 0)
        : print(
            `cavra-daemon stopped (pid ${pid}) but ${unshipped} evidence record${unshipped === 1 ? ' was' : 's were'} not shipped to the fleet stream within drain_timeout ${shipping.evidence.drainTimeout}; they stay in ${config.evidenceLog} and ship when a daemon runs on it again\n`,
            1,
          );
    }
    await new Promise((wait) => setTimeout(wait, WAIT_STEP_MS));
  }
  return print(
    `cavra-daemon (pid ${pid}) did not stop within ${15 + (drainSteps * WAIT_STEP_MS) / 1000} s\n`,
    1,
  );
}

async function status(config: DaemonConfig): Promise<number> {
  const client = await createClient({ socketPath: config.socketPath, timeoutMs: 2000 });
  try {
    return print(`${JSON.stringify(await client.health(), null, 2)}\n`, 0);
  } catch (error) {
    return print(`cavra-daemon is not answering on ${config.socketPath}: ${(error as Error).message}\n`, 1);
  } finally {
    await client.close();
  }
}

async function enroll(config: DaemonConfig): Promise<number> {
  const { daemonIdPath, enrollDaemon } = await import('./daemon-identity.js');
  try {
    const { daemonId, created } = await enrollDaemon(config.evidenceLog);
    process.stderr.write(
      created
        ? `enrolled: daemon id kept in ${daemonIdPath(config.evidenceLog)}\n`
        : `already enrolled (${daemonIdPath(config.evidenceLog)}); the id is kept\n`,
    );
    return print(`${daemonId}\n`, 0);
  } catch (error) {
    return print(
      `cannot enroll: ${fileErrorText('write', 'daemon id file', daemonIdPath(config.evidenceLog), error)}\n`,
      1,
    );
  }
}

/** SIGHUP, then the daemon's verdict: exit 0 applied, 1 rejected (with the reason), 3 no verdict. */
async function reload(config: DaemonConfig): Promise<number> {
  const running = await pidFileState(config);
  if (running.kind === 'none') return print('cavra-daemon is not running: nothing to reload\n', 3);
  if (running.kind === 'stale')
    return print(`cavra-daemon is not running: nothing to reload; ${await clearStale(config, running)}`, 3);
  const { pid } = running;
  const before = await readReloadStatus(config.pidFile);
  const after = before?.pid === pid ? before.seq : 0;
  const refused = send(pid, 'SIGHUP');
  if (refused) return print(refused, 1);
  for (let attempt = 0; attempt < WAIT_STEPS; attempt++) {
    const verdict = await readReloadStatus(config.pidFile);
    if (verdict?.pid === pid && verdict.seq > after) {
      return verdict.applied
        ? print(`reload applied (pid ${pid}): ${digests(verdict.policyDigests ?? {})}\n`, 0)
        : print(
            `reload rejected (pid ${pid}); the current policy and keys stay in force: ${verdict.error}\n`,
            1,
          );
    }
    if (!processRunning(pid))
      return print(`cavra-daemon (pid ${pid}) exited before reporting the reload\n`, 3);
    await new Promise((wait) => setTimeout(wait, WAIT_STEP_MS));
  }
  return print(`cavra-daemon (pid ${pid}) did not report the reload within 15 s\n`, 3);
}

function digests(policyDigests: Readonly<Record<string, string>>): string {
  return Object.entries(policyDigests)
    .map(([id, digest]) => `${id} ${digest}`)
    .join(', ');
}

async function verify(
  path: string,
  anchorOption: string | AnchorReceiptOption | undefined,
  keyFile: string | undefined,
  keyEnv: string | undefined,
  keyId: string | undefined,
  logId: string | undefined,
): Promise<number> {
  let key: EvidenceKeyOption | undefined;
  try {
    key = await loadEvidenceKey(keyFile, keyEnv, keyId);
  } catch (error) {
    return print(`evidence key: ${(error as Error).message}\n`, 1);
  }
  let anchor: string | EvidenceAnchor | undefined;
  let anchoredTo: string[] = [];
  if (typeof anchorOption === 'object') {
    const receipt = await readAnchorReceipt(anchorOption);
    if (typeof receipt === 'string') return print(`${receipt}\n`, 1);
    anchor = { seq: receipt.seq, hash: receipt.hash, epoch: receipt.epoch };
    anchoredTo = [
      `receipt: daemon ${receipt.daemon_id}, epoch ${receipt.epoch}, seq ${receipt.seq}, verified at ${receipt.verified_at}`,
    ];
  } else {
    anchor = anchorOption;
  }
  let result: Awaited<ReturnType<typeof verifyEvidenceLog>>;
  try {
    result = await verifyEvidenceLog(path, {
      ...(anchor ? { anchor } : {}),
      ...(key ? { key } : {}),
      ...(logId ? { logId } : {}),
    });
  } catch (error) {
    return print(`${fileErrorText('read', 'evidence log', path, error)}\n`, 1);
  }
  const legacy =
    result.legacySignedRecords > 0
      ? ` (${result.legacySignedRecords} in the legacy form, not bound to this log)`
      : '';
  const signatures = key
    ? `, ${plural(result.signedRecords, 'signature')} verified${legacy}`
    : result.signedRecords > 0
      ? ''
      : ', unsigned';
  const upstream = result.format === 'upstream' ? ` (upstream ${UPSTREAM_EVIDENCE_SCHEMA})` : '';
  const lines = [
    `${path}: ${plural(result.records, 'record')}${upstream}, ${result.ok ? `chain intact${signatures}` : plural(result.problems.length, 'problem')}`,
    `last hash ${result.lastHash}`,
    ...anchoredTo,
    ...(result.tornTail
      ? ['a torn last line (a write interrupted by a crash, never acknowledged) was ignored']
      : []),
    ...result.problems.map((problem) => `line ${problem.line}: ${problem.problem}: ${problem.message}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`); // the report is the output, whatever it finds
  return result.ok ? 0 : 1;
}

interface AnchorReceiptOption {
  readonly receiptFile: string;
  readonly publicKeyFile: string;
}

/** The receipt of --anchor, verified with --anchor-key; or why it cannot be used, as the line to print. */
async function readAnchorReceipt({
  receiptFile,
  publicKeyFile,
}: AnchorReceiptOption): Promise<EvidenceReceipt | string> {
  const read = (file: string, what: string) =>
    readFile(file, 'utf8').catch((error: unknown) => {
      throw new Error(fileErrorText('read', what, file, error));
    });
  try {
    const [jws, publicKey] = [
      await read(receiptFile, 'anchor receipt'),
      await read(publicKeyFile, 'anchor key'),
    ];
    return await (await import('./fleet-package.js')).fleet.verifyEvidenceReceipt(jws, publicKey);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code.startsWith('receipt_')
      ? `anchor receipt ${receiptFile}: ${code}: ${(error as Error).message}`
      : (error as Error).message;
  }
}

/**
 * `evidence export --format upstream`: only a log whose chain verifies is exported (its signatures are not checked
 * here: that is `evidence verify` with its key), so the export never launders an edited log into a fresh chain.
 */
async function exportUpstream(
  path: string,
  keyFile: string | undefined,
  keyEnv: string | undefined,
  keyId: string | undefined,
): Promise<number> {
  let key: EvidenceKeyOption | undefined;
  try {
    key = await loadEvidenceKey(keyFile, keyEnv, keyId);
  } catch (error) {
    return print(`evidence key: ${(error as Error).message}\n`, 1);
  }
  try {
    const checked = await verifyEvidenceLog(path);
    if (checked.format === 'upstream')
      return print(`${path}: already upstream records: nothing to export\n`, 1);
    const problems = checked.problems.filter((problem) => problem.problem !== 'signature_unchecked');
    if (problems.length > 0) {
      const first = problems[0] as (typeof problems)[number];
      return print(
        `${path}: not exported: ${plural(problems.length, 'problem')} (line ${first.line}: ${first.problem}); run evidence verify\n`,
        1,
      );
    }
    // A segmented log (fleet mode) is its closed segments, then the file; one pruned no longer holds record 1,
    // where upstream's chain starts.
    const { listSegments, readPruneMark } = await import('./evidence-segments.js');
    if (await readPruneMark(path))
      return print(`${path}: not exported: its first records were pruned (${path}.pruned)\n`, 1);
    const { UpstreamExporter } = await import('./upstream-evidence-export.js');
    const exporter = new UpstreamExporter(key);
    for (const part of [...(await listSegments(path)).map((segment) => segment.path), path]) {
      const file = await open(part, 'r');
      try {
        await readLines(file, 0, (await file.stat()).size, (line) => {
          process.stdout.write(exporter.line(JSON.parse(line)));
        });
      } finally {
        await file.close();
      }
    }
  } catch (error) {
    return print(`${fileErrorText('read', 'evidence log', path, error)}\n`, 1);
  }
  return 0;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Sends `name` to the daemon; a daemon this user may not signal is reported, not thrown. */
function send(pid: number, name: NodeJS.Signals): string | undefined {
  try {
    process.kill(pid, name);
    return undefined;
  } catch (error) {
    return `cannot signal cavra-daemon (pid ${pid}): ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`cavra-daemon: ${error.message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);
