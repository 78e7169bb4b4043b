import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataKind, type Root } from '@tufjs/models';
import { FleetError } from './fleet-error.js';
import { type RoleKey, roleKeyFromPem, TUF_ROLES, type TufRole } from './tuf-keys.js';

/** The file of a role's private key in a channel's keys folder (owner-only). */
export function roleKeyFile(keysDir: string, role: TufRole): string {
  return join(keysDir, `${role}.key.pem`);
}

/** The channel's current signed root in its keys folder: the file daemons are given as their trust anchor. */
export function rootFile(keysDir: string): string {
  return join(keysDir, 'root.json');
}

/** The unrecognised root field naming the channel a root is for, so a root of one channel never trusts another. */
export const ROOT_CHANNEL_FIELD = 'x-cavra-channel';

/** A channel's keys folder read: its current root and one key per role. */
export interface ChannelKeys {
  readonly channel: string;
  readonly root: Metadata<Root>;
  readonly keys: Readonly<Record<TufRole, RoleKey>>;
}

/** Reads a keys folder made by initChannelTrust; FleetError `keys_invalid` when a file is missing or unreadable. */
export async function readChannelKeys(keysDir: string): Promise<ChannelKeys> {
  const root = await readRootFile(rootFile(keysDir));
  const entries = await Promise.all(
    TUF_ROLES.map(async (role) => {
      const file = roleKeyFile(keysDir, role);
      try {
        return [role, roleKeyFromPem(await readFile(file, 'utf8'))] as const;
      } catch (error) {
        throw new FleetError(
          'keys_invalid',
          `cannot read the ${role} key ${file}: ${(error as Error).message}`,
        );
      }
    }),
  );
  const keys = Object.fromEntries(entries) as Record<TufRole, RoleKey>;
  for (const role of TUF_ROLES) {
    if (!root.signed.roles[role]?.keyIDs.includes(keys[role].key.keyID)) {
      throw new FleetError(
        'keys_invalid',
        `the ${role} key in ${keysDir} is not a ${role} key of its root.json`,
      );
    }
  }
  return { channel: rootChannel(root), root, keys };
}

/** Reads and parses a signed root file; FleetError `keys_invalid` when it is missing or not a TUF root. */
export async function readRootFile(file: string): Promise<Metadata<Root>> {
  try {
    return Metadata.fromJSON(MetadataKind.Root, JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    throw new FleetError('keys_invalid', `cannot read the TUF root ${file}: ${(error as Error).message}`);
  }
}

/** The channel a root names (ROOT_CHANNEL_FIELD); FleetError `keys_invalid` when it names none. */
export function rootChannel(root: Metadata<Root>): string {
  const channel = root.signed.unrecognizedFields[ROOT_CHANNEL_FIELD];
  if (typeof channel !== 'string')
    throw new FleetError('keys_invalid', 'the TUF root names no cavra channel');
  return channel;
}
