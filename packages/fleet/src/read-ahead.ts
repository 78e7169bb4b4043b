import type { BundleHead } from './bundle-store.js';
import {
  bundleTargetPath,
  bundleTargetRevision,
  metadataObjectName,
  targetObjectName,
} from './bundle-store-names.js';

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

/**
 * The objects TUF's client asks for first, before it has read anything: the probe for the next root version and the
 * timestamp; with a head that carries its `reads` hint, also the snapshot, targets and bundle it names (all read at
 * once, as the head is taken off the watch). The hint is not trusted: the client verifies what it is given, and asks
 * for other objects if the hint named the wrong ones.
 */
export function objectsFirst(channel: string, rootVersion: number, head?: BundleHead): string[] {
  const first = [
    metadataObjectName(channel, `${rootVersion + 1}.root.json`),
    metadataObjectName(channel, 'timestamp.json'),
  ];
  const reads = head?.reads;
  if (
    !reads ||
    !Number.isSafeInteger(reads.snapshot) ||
    !Number.isSafeInteger(reads.targets) ||
    !Number.isSafeInteger(head.revision) ||
    !/^[0-9a-f]{64}$/.test(String(reads.digest))
  )
    return first;
  return [
    ...first,
    metadataObjectName(channel, `${reads.snapshot}.snapshot.json`),
    metadataObjectName(channel, `${reads.targets}.targets.json`),
    targetObjectName(channel, `${reads.digest}.${bundleTargetPath(head.revision)}`),
  ];
}
