import { readFile } from 'node:fs/promises';
import { writeDurableFile } from './durable-file.js';

/** The schema of the shipper's cursor file. */
export const SHIP_CURSOR_SCHEMA = 'cavra.fleet.ship-cursor.v1';

/** How far a daemon's log is acknowledged by the stream: its last shipped record and the batch's stream seq. */
export interface ShipCursor {
  readonly daemon_id: string;
  readonly epoch: string;
  readonly seq: number;
  readonly hash: string;
  readonly stream_seq: number;
}

/**
 * The cursor file, or why it cannot be used. A missing file is no problem (a first start); an unreadable or corrupt
 * one is named, and the shipper then goes by the stream alone (it never skips records: the stream's last batch, not
 * the cursor, says where to continue).
 */
export async function readShipCursor(
  path: string,
): Promise<{ readonly cursor?: ShipCursor; readonly problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { problem: `the cursor file ${path} cannot be read (${code})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `the cursor file ${path} is not JSON` };
  }
  if (!isShipCursor(value))
    return { problem: `the cursor file ${path} is not a ${SHIP_CURSOR_SCHEMA} cursor` };
  return { cursor: value };
}

/** Writes the cursor atomically (temporary file, fsync, rename, fsync of the folder), readable by the owner only. */
export function writeShipCursor(path: string, cursor: ShipCursor): Promise<void> {
  return writeDurableFile(path, `${JSON.stringify({ schema: SHIP_CURSOR_SCHEMA, ...cursor })}\n`, {
    mode: 0o600,
  });
}

function isShipCursor(value: unknown): value is ShipCursor & { schema: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.schema === SHIP_CURSOR_SCHEMA &&
    typeof v.daemon_id === 'string' &&
    typeof v.epoch === 'string' &&
    typeof v.hash === 'string' &&
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) >= 0 &&
    Number.isSafeInteger(v.stream_seq) &&
    (v.stream_seq as number) >= 0
  );
}
