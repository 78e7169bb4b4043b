import { copyFile } from 'node:fs/promises';
import { type BundleStoreConnection, putStoreObject } from './bundle-store.js';
import { metadataObjectName } from './bundle-store-names.js';
import { readChannelKeys, roleKeyFile, rootFile } from './channel-keys.js';
import { checkChannelName } from './channel-name.js';
import { rootJson, signedRoot } from './channel-trust.js';
import { writeDurableFile } from './durable-file.js';
import { FleetError } from './fleet-error.js';
import { resignCurrentBundle } from './resign-channel.js';
import { DEFAULT_EXPIRY_DAYS, type TufExpiryDays, tufExpiry } from './tuf-expiry.js';
import { generateRoleKey, type RoleKey, TUF_ROLES, type TufRole } from './tuf-keys.js';

/** Options of rotateChannelKeys. */
export interface RotateChannelKeysOptions {
  readonly fleet: BundleStoreConnection;
  readonly channel: string;
  readonly keysDir: string;
  /** The roles given new keys (default: `root` only). */
  readonly roles?: readonly TufRole[];
  readonly expiryDays?: Partial<TufExpiryDays>;
  readonly now?: Date;
}

/** What rotateChannelKeys did. */
export interface RotatedChannelKeys {
  readonly rootVersion: number;
  readonly keyIds: Readonly<Record<TufRole, string>>;
}

/**
 * Rotates keys the TUF way: new Ed25519 keys for `roles`, a root of the next version naming them, signed by the OLD
 * root key and the new one (so a daemon trusting the old root accepts it, and the new root verifies itself), stored
 * as `<version>.root.json`; then the current bundle's targets, snapshot and timestamp re-signed with the keys now in
 * force. The replaced key files are kept as `<role>.key.pem.v<old version>` (the old root key signs nothing more;
 * delete it once every daemon has moved on). Daemons follow on their next refresh: tuf-js walks `N+1.root.json`.
 */
export async function rotateChannelKeys(options: RotateChannelKeysOptions): Promise<RotatedChannelKeys> {
  const channel = checkChannelName(options.channel);
  const now = options.now ?? new Date();
  const current = await readChannelKeys(options.keysDir);
  if (current.channel !== channel) {
    throw new FleetError(
      'wrong_channel',
      `the keys in ${options.keysDir} are for channel ${current.channel}, not ${channel}`,
    );
  }
  const rotated = new Set<TufRole>(options.roles ?? ['root']);
  const generated = new Map([...rotated].map((role) => [role, generateRoleKey()]));
  const keys = Object.fromEntries(
    TUF_ROLES.map((role) => [role, generated.get(role)?.roleKey ?? current.keys[role]]),
  ) as Record<TufRole, RoleKey>;
  const expiry = { ...DEFAULT_EXPIRY_DAYS, ...options.expiryDays };
  const oldVersion = current.root.signed.version;
  const root = signedRoot({
    channel,
    version: oldVersion + 1,
    expires: tufExpiry(now, expiry.root),
    keys,
    signers: keys.root === current.keys.root ? [keys.root] : [current.keys.root, keys.root],
  });
  // The keys folder first: a crash after it leaves a root the next publish uploads (it uploads a missing
  // `<version>.root.json`), never a published root whose keys were lost.
  for (const [role, { pem }] of generated) {
    const file = roleKeyFile(options.keysDir, role);
    await copyFile(file, `${file}.v${oldVersion}`);
    await writeDurableFile(file, pem, { mode: 0o600 });
  }
  await copyFile(rootFile(options.keysDir), `${rootFile(options.keysDir)}.v${oldVersion}`);
  await writeDurableFile(rootFile(options.keysDir), rootJson(root));
  const store = options.fleet;
  await putStoreObject(
    store,
    metadataObjectName(channel, `${oldVersion}.root.json`),
    rootJson(current.root),
    {
      onlyIfMissing: true,
    },
  );
  await putStoreObject(
    store,
    metadataObjectName(channel, `${root.signed.version}.root.json`),
    rootJson(root),
  );
  await resignCurrentBundle(store, { channel, root, keys }, expiry, now);
  return {
    rootVersion: root.signed.version,
    keyIds: Object.fromEntries(TUF_ROLES.map((role) => [role, keys[role].key.keyID])) as Record<
      TufRole,
      string
    >,
  };
}
