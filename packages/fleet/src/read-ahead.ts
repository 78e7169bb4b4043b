import { bundleTargetRevision } from './bundle-store-names.js';

/**
 * The objects TUF's client will ask for after `name` (a channel's `<channel>/metadata/...` object), so that they are
 * read while it verifies and stores this one: the snapshot a timestamp names, the targets a snapshot names, the
 * newest bundle the targets name. A hint read from bytes not verified yet: the client verifies what it is given
 * exactly as it would have. Nothing for anything that does not parse.
 */
export function objectsAfter(name: string, bytes: Uint8Array): string[] {
  const slash = name.lastIndexOf('/metadata/');
  if (slash < 0) return [];
  const channel = name.slice(0, slash);
  const file = name.slice(slash + '/metadata/'.length);
  let signed: Record<string, unknown>;
  try {
    signed = JSON.parse(Buffer.from(bytes).toString('utf8')).signed ?? {};
  } catch {
    return [];
  }
  const version = (role: string) => {
    const value = (signed.meta as Record<string, { version?: unknown }> | undefined)?.[`${role}.json`]
      ?.version;
    return Number.isSafeInteger(value) ? [`${channel}/metadata/${value}.${role}.json`] : [];
  };
  if (file === 'timestamp.json') return version('snapshot');
  if (file.endsWith('.snapshot.json')) return version('targets');
  if (file.endsWith('.targets.json')) {
    const targets = Object.entries(
      (signed.targets ?? {}) as Record<string, { hashes?: { sha256?: unknown } }>,
    )
      .map(([path, info]) => ({ path, revision: bundleTargetRevision(path), sha256: info.hashes?.sha256 }))
      .filter((target) => target.revision !== undefined && typeof target.sha256 === 'string')
      .sort((a, b) => (b.revision as number) - (a.revision as number));
    const newest = targets[0];
    return newest ? [`${channel}/targets/${newest.sha256}.${newest.path}`] : [];
  }
  return [];
}
