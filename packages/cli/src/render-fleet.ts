import { type ChannelStatus, type FleetStatus, shippingLag } from '@cavra/fleet';
import type { FleetResult } from './fleet-commands.js';

type Json = Record<string, unknown>;

/** The `schema_version` of `cavra fleet ... --json` documents. */
export const FLEET_SCHEMA = 'cavra.cli.fleet.v1';

/** `cavra fleet status --json`: the status as readFleetStatus returns it, snake_case already. */
export function fleetStatusJson(status: FleetStatus): Json {
  return { schema_version: FLEET_SCHEMA, ...status };
}

/** A refusal as JSON (`--json`), so a script reads the code. */
export function fleetFailureJson(result: Extract<FleetResult<unknown>, { ok: false }>): Json {
  return { schema_version: FLEET_SCHEMA, error: result.error };
}

const ids = (list: readonly string[]) => (list.length === 0 ? 'none' : list.join(', '));
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function channelText(channel: ChannelStatus, notSeenAfterMs: number): string {
  const head = channel.head === null ? 'no bundle published' : `head revision ${channel.head}`;
  const revisions = channel.revisions.map(
    ({ revision, daemons }) =>
      `  ${revision === null ? 'no bundle' : `revision ${revision}`}: ${plural(daemons, 'daemon')}`,
  );
  return [
    `channel ${channel.channel}: ${head}`,
    ...revisions,
    `  not on head: ${ids(channel.not_on_head)}`,
    `  stale bundle: ${ids(channel.stale)}`,
    `  not seen for ${notSeenAfterMs / 1000} s: ${ids(channel.not_seen)}`,
  ].join('\n');
}

/** `cavra fleet status`: per channel the revisions and who lags, then one line per daemon. */
export function fleetStatusText(status: FleetStatus): string {
  const rows = [
    ['DAEMON', 'KIND', 'CHANNEL', 'REVISION', 'BUNDLE', 'LAST SEEN', 'SEEN', 'SHIPPING LAG'],
    ...status.daemons.map(({ heartbeat, last_seen, seen }) => [
      heartbeat.daemon_id,
      heartbeat.kind,
      heartbeat.channel,
      heartbeat.revision === undefined ? '-' : String(heartbeat.revision),
      heartbeat.bundle_state,
      last_seen,
      seen ? 'yes' : 'no',
      shippingLag(heartbeat),
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length))) ?? [];
  const table = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const sections = [
    ...status.channels.map((channel) => channelText(channel, status.not_seen_after_ms)),
    `${plural(status.daemons.length, 'daemon')} (read ${status.read_at}):`,
    ...(status.daemons.length > 0 ? [table.map((line) => `  ${line}`).join('\n')] : []),
  ];
  if (status.unreadable.length > 0)
    sections.push(
      `unreadable records:\n${status.unreadable.map(({ bucket, key, reason }) => `  ${bucket} ${key}: ${reason}`).join('\n')}`,
    );
  return `${sections.join('\n')}\n`;
}
