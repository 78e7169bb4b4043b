import type { QueriedEvidenceRecord } from '@cavra/fleet';
import { FLEET_SCHEMA } from './render-fleet.js';

/** `cavra evidence query --json`: the records as readEvidence returns them. */
export function evidenceQueryJson(records: readonly QueriedEvidenceRecord[]): Record<string, unknown> {
  return { schema_version: FLEET_SCHEMA, records };
}

/**
 * `cavra evidence query`: one line per record, oldest first: when, daemon, seq, what (a decision with its action and
 * rule, or an event's type), and `unverified` when the central verifier has not vouched for it. The texts come from
 * the daemons' records: targets are printed as JSON strings, so no control character reaches the terminal.
 */
export function evidenceQueryText(records: readonly QueriedEvidenceRecord[]): string {
  const lines = records.map(({ daemon_id, seq, verified, record }) => {
    const decision = record.decision as Record<string, unknown> | undefined;
    const event = record.event as Record<string, unknown> | undefined;
    const what = decision
      ? `${plain(decision.decision)} ${plain(decision.action_type)} ${JSON.stringify(String(decision.target ?? ''))} (${plain(decision.rule_id)})`
      : `event ${plain(event?.type)}`;
    return `${plain(record.recorded_at)} ${daemon_id} #${seq} ${what}${verified ? '' : ' unverified'}`;
  });
  const count = `${records.length} record${records.length === 1 ? '' : 's'}`;
  return `${[...lines, count].join('\n')}\n`;
}

/** A field shown as is when it is a plain token, else `?` (the record may come from anyone). */
function plain(value: unknown): string {
  return typeof value === 'string' && /^[\w.:+-]{1,128}$/.test(value) ? value : '?';
}
