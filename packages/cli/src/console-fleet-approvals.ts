import type { ApprovalSource } from '@cavra/console';
import type { FleetConnectionOptions } from '@cavra/fleet';
import type { DaemonResult } from './approval-commands.js';
import { CliError, EXIT } from './cli-error.js';
import {
  listFleetApprovalRequests,
  reviewFleetApprovalRequest,
  showFleetApprovalRequest,
} from './fleet-approval-commands.js';
import type { ReviewSigner } from './review-signing.js';

/**
 * The console's approvals inbox on the fleet's approval store: `cavra approval list|show|approve|deny --nats
 * --config`'s own functions (signed as they sign, verified with the config's approvers before the write as they
 * verify), their results turned into the console's refusals.
 */
export async function fleetApprovalSource(
  connection: FleetConnectionOptions,
  configFile: string,
  signer: ReviewSigner | undefined,
): Promise<ApprovalSource> {
  const { ConsoleError } = await import('@cavra/console');
  // A requesting daemon verifies each review again; an ID token review could not be (the CLI refuses it the same way).
  if (signer?.idToken !== undefined)
    throw new CliError(
      EXIT.usage,
      'console: reviews on the fleet store (approvals: store: fleet) take an approver key (--key FILE --as ID), not --id-token',
    );
  const value = async <T>(call: () => Promise<DaemonResult<T>>): Promise<T> => {
    let result: DaemonResult<T>;
    try {
      result = await call();
    } catch (error) {
      // The review's signing or the config's approvers (a bad scope, a key that no longer loads): told as is.
      if (error instanceof CliError) throw new ConsoleError('invalid_review', error.message);
      throw error;
    }
    if (result.ok) return result.value;
    const { code, daemonCode, reason, message } = result.error;
    if (daemonCode === 'unknown_approval' || reason === 'unknown_request')
      throw new ConsoleError('unknown_approval', message);
    if (code === 'approval_refused') throw new ConsoleError('approval_refused', message, reason);
    throw new ConsoleError('fleet_unavailable', `${code}: ${message}`);
  };
  return {
    name: "the fleet's approval store",
    list: (filter) => value(() => listFleetApprovalRequests(connection, filter)),
    show: (id) => value(() => showFleetApprovalRequest(connection, id)),
    ...(signer
      ? {
          review: (review) => value(() => reviewFleetApprovalRequest(connection, configFile, review, signer)),
        }
      : {}),
  };
}
