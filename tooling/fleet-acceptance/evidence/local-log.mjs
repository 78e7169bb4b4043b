// A daemon's local evidence log as written: its closed segments (`<log>.seg-<first seq>`, oldest first) and the
// active file, as one byte string with the offset of every record.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `{ bytes, firstSeq, lastSeq, ends }`: record `seq` is `bytes[ends[seq - firstSeq - 1] ?? 0 .. ends[seq - firstSeq]]`. */
export async function readLocalLog(evidenceLog) {
  const dir = dirname(evidenceLog);
  const name = basename(evidenceLog);
  const segments = (await readdir(dir)).filter((file) => file.startsWith(`${name}.seg-`)).sort();
  const parts = [];
  for (const file of [...segments, name]) parts.push(await readFile(join(dir, file)));
  const bytes = Buffer.concat(parts);
  const ends = [];
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) ends.push(at + 1);
  const firstSeq = ends.length > 0 ? seqOf(bytes, 0) : 1;
  return { bytes, firstSeq, lastSeq: firstSeq + ends.length - 1, ends, segments: segments.length };
}

/** The bytes of records first..last (inclusive) of a log read by {@link readLocalLog}, or undefined if not held. */
export function recordBytes(log, first, last) {
  if (first < log.firstSeq || last > log.lastSeq) return undefined;
  const start = first === log.firstSeq ? 0 : log.ends[first - log.firstSeq - 1];
  return log.bytes.subarray(start, log.ends[last - log.firstSeq]);
}

/** Every decision id the log holds (decision records name theirs as `"decision_id":"…"`). */
export function decisionIds(log) {
  return new Set(Array.from(log.bytes.toString('utf8').matchAll(/"decision_id":"([^"]+)"/g), (m) => m[1]));
}

// Every record starts with `{"seq":N,` (the daemon's canonical form).
function seqOf(bytes, start) {
  const match = /^\{"seq":(\d+),/.exec(bytes.subarray(start, start + 32).toString('latin1'));
  if (!match) throw new Error('a local evidence record does not start with its seq');
  return Number(match[1]);
}
