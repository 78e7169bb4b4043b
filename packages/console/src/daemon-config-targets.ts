import { loadKeyring } from '@cavra/auth';
import { loadDaemonConfig } from '@cavra/daemon';
import type { ConsoleOptions } from './console-options.js';

/**
 * What a daemon's config file tells the console: its socket, its evidence log and the key that signs the log (so
 * the chain check also checks signatures), the approver groups that list `approverId`, and its approvals store. Rejects with the
 * daemon's DaemonConfigError for a config it would refuse, and with the key loader's error for a missing key.
 */
export async function consoleOptionsFromDaemonConfig(
  path: string,
  approverId?: string,
): Promise<
  Pick<ConsoleOptions, 'socketPath' | 'evidenceLog' | 'verify'> & {
    groups: string[];
    /** Where the daemon keeps approval requests (`approvals.store`); absent without an approvals: section. */
    approvalsStore?: 'local' | 'fleet';
  }
> {
  const config = await loadDaemonConfig(path);
  const source = config.evidenceSigning;
  const key = source ? (await loadKeyring([source])).get(source.keyId) : undefined;
  const groups = Object.entries(config.approvals?.groups ?? {})
    .filter(([, group]) => group.approvers.some((approver) => approver.id === approverId))
    .map(([name]) => name);
  return {
    socketPath: config.socketPath,
    evidenceLog: config.evidenceLog,
    ...(key ? { verify: { key: { secret: key.secret, keyId: key.keyId } } } : {}),
    groups,
    ...(config.approvals ? { approvalsStore: config.approvals.store } : {}),
  };
}
