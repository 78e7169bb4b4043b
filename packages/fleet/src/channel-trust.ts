import { access, mkdir } from 'node:fs/promises';
import { Metadata, Root } from '@tufjs/models';
import { ROOT_CHANNEL_FIELD, roleKeyFile, rootFile } from './channel-keys.js';
import { checkChannelName } from './channel-name.js';
import { writeDurableFile } from './durable-file.js';
import { FleetError } from './fleet-error.js';
import { DEFAULT_EXPIRY_DAYS, tufExpiry } from './tuf-expiry.js';
import { generateRoleKey, type RoleKey, signMetadata, TUF_ROLES, type TufRole } from './tuf-keys.js';

/** Options of initChannelTrust. */
export interface InitChannelTrustOptions {
  readonly channel: string;
  /** The folder made for the channel's private keys (owner-only files) and its `root.json`; must not hold a root. */
  readonly keysDir: string;
  /** Days the root stays valid (default 365). */
  readonly rootExpiryDays?: number;
  readonly now?: Date;
}

/** What initChannelTrust made. */
export interface ChannelTrust {
  readonly channel: string;
  /** The signed root (version 1): give it to every daemon of the channel as `fleet.trust_root`. */
  readonly rootFile: string;
  /** The key id of each role's key. */
  readonly keyIds: Readonly<Record<TufRole, string>>;
}

/**
 * Makes a channel's trust: one new Ed25519 key per TUF role (root, targets, snapshot, timestamp) written as
 * owner-only PKCS#8 PEM files in `keysDir`, and the root metadata (version 1, consistent snapshots, threshold 1 per
 * role, naming the channel) signed by the root key. Nothing is published: the first publishBundle uploads the root.
 * FleetError `invalid_channel`, `channel_exists` (the folder already holds a root or a key).
 */
export async function initChannelTrust(options: InitChannelTrustOptions): Promise<ChannelTrust> {
  const channel = checkChannelName(options.channel);
  const now = options.now ?? new Date();
  if (await exists(rootFile(options.keysDir))) {
    throw new FleetError('channel_exists', `${rootFile(options.keysDir)} already exists`);
  }
  // Owner-only: the folder holds every private key of the channel.
  await mkdir(options.keysDir, { recursive: true, mode: 0o700 });
  const generated = Object.fromEntries(TUF_ROLES.map((role) => [role, generateRoleKey()])) as Record<
    TufRole,
    ReturnType<typeof generateRoleKey>
  >;
  for (const role of TUF_ROLES) {
    try {
      await writeDurableFile(roleKeyFile(options.keysDir, role), generated[role].pem, {
        mode: 0o600,
        exclusive: true,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new FleetError('channel_exists', `${roleKeyFile(options.keysDir, role)} already exists`);
      }
      throw error;
    }
  }
  const keys = Object.fromEntries(TUF_ROLES.map((role) => [role, generated[role].roleKey])) as Record<
    TufRole,
    RoleKey
  >;
  const root = signedRoot({
    channel,
    version: 1,
    expires: tufExpiry(now, options.rootExpiryDays ?? DEFAULT_EXPIRY_DAYS.root),
    keys,
    signers: [keys.root],
  });
  await writeDurableFile(rootFile(options.keysDir), rootJson(root), { exclusive: true });
  return {
    channel,
    rootFile: rootFile(options.keysDir),
    keyIds: Object.fromEntries(TUF_ROLES.map((role) => [role, keys[role].key.keyID])) as Record<
      TufRole,
      string
    >,
  };
}

/** A root naming `keys` (one per role, threshold 1) signed by every key of `signers`. */
export function signedRoot(options: {
  readonly channel: string;
  readonly version: number;
  readonly expires: string;
  readonly keys: Readonly<Record<TufRole, RoleKey>>;
  readonly signers: readonly RoleKey[];
}): Metadata<Root> {
  const root = new Root({
    version: options.version,
    specVersion: '1.0.31',
    expires: options.expires,
    consistentSnapshot: true,
    unrecognizedFields: { [ROOT_CHANNEL_FIELD]: options.channel },
  });
  // Without `roles` the root starts with each top-level role at threshold 1 and no key; addKey names each one's key.
  for (const role of TUF_ROLES) root.addKey(options.keys[role].key, role);
  const metadata = new Metadata(root);
  signMetadata(metadata, options.signers);
  return metadata;
}

/** The bytes a root is stored as (in the keys folder, the object store and daemons' trust anchors). */
export function rootJson(root: Metadata<Root>): string {
  return `${JSON.stringify(root.toJSON(), null, 2)}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
