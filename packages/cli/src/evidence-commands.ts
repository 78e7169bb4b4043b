import type { EvidenceQuery, FleetConnectionOptions, QueriedEvidenceRecord } from '@cavra/fleet';
import { CliError, EXIT } from './cli-error.js';
import type { FleetResult } from './fleet-commands.js';

/**
 * `cavra evidence query`: the records the daemons shipped to the fleet's central stream, read through
 * @cavra/fleet's readEvidence (loaded only when the command runs).
 */
export async function evidenceQuery(
  connection: FleetConnectionOptions,
  query: EvidenceQuery,
): Promise<FleetResult<QueriedEvidenceRecord[]>> {
  const { connectFleet, FleetError, readEvidence } = await import('@cavra/fleet');
  try {
    const fleet = await connectFleet({ ...connection, name: 'cavra evidence query' });
    try {
      const records: QueriedEvidenceRecord[] = [];
      for await (const record of readEvidence(fleet, query)) records.push(record);
      return { ok: true, value: records };
    } finally {
      await fleet.close();
    }
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    if (error.code === 'invalid_options') throw new CliError(EXIT.usage, `evidence query: ${error.message}`);
    return { ok: false, error: { code: error.code, message: error.message } };
  }
}
