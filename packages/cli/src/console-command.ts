import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConsoleOptions, ReplayOutcome } from '@cavra/console';
import type { FleetConnectionOptions } from '@cavra/fleet';
import { CliError, EXIT } from './cli-error.js';
import { replayPack } from './reports.js';
import { type ReviewSigner, reviewIdentity, signedReview } from './review-signing.js';

/** What `cavra console` was asked to serve. */
export interface ConsoleCommand {
  readonly config?: string;
  readonly socket?: string;
  readonly evidence?: string;
  readonly nats?: FleetConnectionOptions;
  /** The central evidence verifier's public key file (PEM), to check the daemon's receipt. */
  readonly receiptKey?: string;
  readonly signer?: ReviewSigner;
  readonly port: number;
  readonly listen?: string;
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** The replay the console runs: `cavra policy replay`'s engine, its changes as the page lists them. */
async function replay({ pack, evidenceLog }: { pack: string; evidenceLog: string }): Promise<ReplayOutcome> {
  const run = await replayPack({ pack, evidence: evidenceLog, mode: 'enforce' });
  return {
    replayed: run.replayed.length,
    changed: run.changed.map((entry) => ({
      seq: entry.seq,
      actionType: entry.request.actionType,
      target: entry.request.target,
      recorded: { decision: entry.recorded.decision, ruleId: entry.recorded.ruleId },
      replayed: { decision: entry.replayed.decision, ruleId: entry.replayed.ruleId },
    })),
    skipped: run.skipped,
  };
}

/** The verifier's public key, refused at start (not at the first receipt) when it is no Ed25519 public key. */
async function readReceiptKey(file: string): Promise<KeyObject> {
  const pem = await readFile(file, 'utf8').catch((error: Error) => {
    throw new CliError(EXIT.invalidInput, `console: --receipt-key ${file}: ${error.message}`);
  });
  let key: KeyObject | undefined;
  try {
    key = createPublicKey(pem);
  } catch {
    key = undefined;
  }
  if (key?.asymmetricKeyType !== 'ed25519')
    throw new CliError(
      EXIT.invalidInput,
      `console: --receipt-key ${file}: not an Ed25519 public key in PEM form`,
    );
  return key;
}

/**
 * `cavra console`: starts the console (loaded only now: its server is not part of every `cavra` start), prints its
 * URL, and resolves when SIGINT or SIGTERM stopped it. The signer is checked before anything listens.
 */
export async function runConsole(command: ConsoleCommand, out: (text: string) => void): Promise<number> {
  const { ConsoleError, consoleOptionsFromDaemonConfig, startConsole } = await import('@cavra/console');
  const identity = command.signer ? await reviewIdentity(command.signer) : undefined;
  const fromConfig = command.config
    ? await consoleOptionsFromDaemonConfig(command.config, identity?.reviewer).catch((error: Error) => {
        throw new CliError(EXIT.invalidInput, error.message);
      })
    : undefined;
  const receiptKey = command.receiptKey ? await readReceiptKey(command.receiptKey) : undefined;
  const signer = command.signer;
  // The daemon keeps its requests in the fleet's store: the inbox reads and reviews them there, not on its socket.
  const approvalSource =
    command.nats && command.config && fromConfig?.approvalsStore === 'fleet'
      ? await (await import('./console-fleet-approvals.js')).fleetApprovalSource(
          command.nats,
          command.config,
          signer,
        )
      : undefined;
  const evidenceLog = command.evidence ?? fromConfig?.evidenceLog;
  const options: ConsoleOptions = {
    ...(fromConfig?.verify ? { verify: fromConfig.verify } : {}),
    ...(approvalSource
      ? { approvalSource }
      : command.socket || fromConfig
        ? { socketPath: command.socket ?? fromConfig?.socketPath }
        : {}),
    ...(evidenceLog ? { evidenceLog, replay } : {}),
    ...(command.nats ? { fleet: command.nats } : {}),
    ...(receiptKey ? { receiptKey } : {}),
    ...(identity && signer
      ? {
          // The groups the config lists the approver in; none (an OIDC approver, whose groups are the IdP's): all.
          approver: {
            id: identity.reviewer,
            ...(fromConfig?.groups.length ? { groups: fromConfig.groups } : {}),
          },
          sign: (review) => signedReview(review, signer),
        }
      : {}),
    port: command.port,
    ...(command.listen ? { host: command.listen } : {}),
    ...(command.tls
      ? { tls: { cert: await readFile(command.tls.cert), key: await readFile(command.tls.key) } }
      : {}),
  };
  const running = await startConsole(options).catch((error: Error & { code?: string }) => {
    // The console's refusals (a certificate naming no host, ...) and the system's (a port in use): a message, no stack.
    if (error instanceof ConsoleError) throw new CliError(EXIT.invalidInput, `console: ${error.message}`);
    if (typeof error.code === 'string' && error.code.startsWith('E'))
      throw new CliError(EXIT.failed, `console: cannot listen: ${error.message}`);
    throw error;
  });
  // Listening for the signals before the URL is printed: whoever reads it may stop the console at once.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  out(
    [
      `cavra console: open ${running.url}`,
      '  (the token in that URL signs in once; keep it to yourself)',
      `  approvals: ${approvalSource?.name ?? options.socketPath ?? 'none (no --config or --socket)'}`,
      `  evidence:  ${options.evidenceLog ?? 'none (no --config or --evidence)'}`,
      `  fleet:     ${command.nats ? command.nats.servers.join(',') : 'none (no --nats)'}`,
      ...(command.nats
        ? [
            `  receipts:  ${command.receiptKey ? `checked with ${command.receiptKey}` : 'not checked (no --receipt-key)'}`,
          ]
        : []),
      `  reviews:   ${identity ? `signed as ${identity.reviewer}` : 'read only (no --key)'}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const signal = await stopped;
  await running.close();
  out(`cavra console: stopped (${signal})\n`);
  return EXIT.ok;
}
