import { constants } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EvidenceVerifierCounts, FleetConnectionOptions } from '@cavra/fleet';
import { loadEvidenceKey } from './evidence-key-option.js';
import { jsonLogger } from './logger.js';
import { fileErrorText, openOwnFile } from './own-file.js';
import { shippedBatchCheck } from './shipped-batch-check.js';
import { UsageError } from './usage-error.js';

export const EVIDENCE_VERIFIER_USAGE =
  'cavra-daemon evidence verifier --nats URL... [--user USER --password-env VAR | --token-env VAR | --creds FILE] --receipt-key PEM [--evidence-key FILE [--evidence-key-id ID]] [--once]';

/**
 * `cavra-daemon evidence verifier`: the fleet's central evidence verifier (`@cavra/fleet`'s startEvidenceVerifier)
 * with the daemon's own chain verification (shippedBatchCheck). It lives in this package because that verification
 * is the daemon's: the verifier checks a shipped log exactly as `evidence verify` checks a local one. Logs each
 * outcome as a JSON line on stderr. Long-running until SIGTERM or SIGINT; `--once` handles what the stream holds,
 * prints a summary and exits 0, or 1 when it raised alerts.
 */
export async function evidenceVerifierCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nats: { type: 'string', multiple: true },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      'token-env': { type: 'string' },
      creds: { type: 'string' },
      'receipt-key': { type: 'string' },
      'evidence-key': { type: 'string' },
      'evidence-key-id': { type: 'string' },
      once: { type: 'boolean', default: false },
    },
  });
  const servers = (values.nats ?? []).flatMap((given) => given.split(',').map((server) => server.trim()));
  if (servers.length === 0) throw new UsageError(`--nats is required\nusage: ${EVIDENCE_VERIFIER_USAGE}`);
  if (values['receipt-key'] === undefined)
    throw new UsageError(`--receipt-key is required\nusage: ${EVIDENCE_VERIFIER_USAGE}`);
  if (values['evidence-key-id'] !== undefined && values['evidence-key'] === undefined)
    throw new UsageError('--evidence-key-id needs the key: --evidence-key');
  const connection: FleetConnectionOptions = {
    servers,
    name: 'cavra-daemon evidence verifier',
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(values['password-env'] !== undefined ? { password_env: values['password-env'] } : {}),
    ...(values['token-env'] !== undefined ? { token_env: values['token-env'] } : {}),
    ...(values.creds !== undefined ? { creds_file: values.creds } : {}),
  };
  let receiptKey: string;
  let evidenceKey: Awaited<ReturnType<typeof loadEvidenceKey>>;
  try {
    receiptKey = await readPrivateFile(values['receipt-key'], 'receipt key');
    evidenceKey = await loadEvidenceKey(values['evidence-key'], undefined, values['evidence-key-id']);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  const logger = jsonLogger();
  const { connectFleet, FleetError, startEvidenceVerifier } = (await import('./fleet-package.js')).fleet;
  let counts: EvidenceVerifierCounts;
  try {
    const fleet = await connectFleet(connection);
    try {
      const verifier = await startEvidenceVerifier({
        fleet,
        receiptKey,
        checkBatch: shippedBatchCheck(evidenceKey),
        once: values.once,
        onEvent: (event) => {
          if (event.type === 'alert') logger.warn('evidence alert', { ...event.alert });
          else if (event.type === 'error') logger.error('nats failure, retrying', { error: event.message });
          else logger.info(`batch ${event.type}`, { ...event, type: undefined });
        },
      });
      // The signals are handled before the start is logged: whoever waits for that line may stop it at once.
      const stop = () => void verifier.stop();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      logger.info('verifying', { stream: 'CAVRA_EVIDENCE', once: values.once });
      counts = await verifier.done;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    } finally {
      await fleet.close();
    }
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    process.stderr.write(`evidence verifier: ${error.code}: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(
    `verified ${counts.verifiedBatches} batches (${counts.verifiedRecords} records), ${counts.duplicates} already verified, ${counts.alerts} alerts, ${counts.waiting} waiting for missing records\n`,
  );
  return values.once && counts.alerts > 0 ? 1 : 0;
}

/** The receipt signing key: a private key, so an owner-only file (the evidence key's rule too). */
async function readPrivateFile(path: string, what: string): Promise<string> {
  try {
    const file = await openOwnFile(path, constants.O_RDONLY, what, { private: true });
    try {
      return await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new Error(fileErrorText('read', what, path, error));
  }
}
