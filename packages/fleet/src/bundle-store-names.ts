/** The Object Store name of a channel's metadata file (`timestamp.json`, `<N>.root.json`, `<N>.snapshot.json`, ...). */
export function metadataObjectName(channel: string, file: string): string {
  return `${channel}/metadata/${file}`;
}

/** The Object Store name of a channel's target file (consistent snapshots: `<sha256>.bundle-<revision>.json`). */
export function targetObjectName(channel: string, file: string): string {
  return `${channel}/targets/${file}`;
}

/** The TUF target path of a revision's bundle. */
export function bundleTargetPath(revision: number): string {
  return `bundle-${revision}.json`;
}

const BUNDLE_TARGET = /^bundle-([1-9][0-9]{0,15})\.json$/;

/** The revision a bundle target path names, or undefined for any other path. */
export function bundleTargetRevision(path: string): number | undefined {
  const match = BUNDLE_TARGET.exec(path);
  return match ? Number(match[1]) : undefined;
}
