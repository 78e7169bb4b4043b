import type { Fleet } from './connect-fleet.js';

/**
 * The keys of a KV bucket under `filter` (a key or a wildcard such as `grant.ab12.>`), from the stream's leader
 * (stream info listing its subjects), not from `kv.keys()`: that ordered consumer was seen, under load on a 3-node
 * cluster, to end at once with no keys while the bucket held them. Deleted keys are listed too (their marker is a
 * message): read each one.
 */
export async function bucketKeys(fleet: Fleet, bucket: string, filter = '>'): Promise<string[]> {
  const prefix = `$KV.${bucket}.`;
  const info = await fleet.jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
}
