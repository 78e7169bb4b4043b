import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import {
  type ChannelTrust,
  connectFleet,
  type Fleet,
  type FleetConnectionOptions,
  FleetError,
  type FleetErrorCode,
  initChannelTrust,
  type PublishedBundle,
  publishBundle,
  type ResignedChannel,
  type RotatedChannelKeys,
  resignChannel,
  rotateChannelKeys,
  TUF_ROLES,
  type TufRole,
} from '@cavra/fleet';
import { CliError, EXIT } from './cli-error.js';

// `cavra bundle`: each command computes a result (a value), printed by the renderers (render-bundle.ts).

const PACK_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
// Files a pack folder holds that are not packs: policy tests (`cavra policy test`) and detached signatures.
const NOT_PACKS = /\.test\.ya?ml$|\.sig\.json$/;

/** Exit code of each refusal: a bad pack is 3 like every pack command's, bad input 4, anything else 1. */
const FLEET_EXIT: Partial<Record<FleetErrorCode, number>> = {
  invalid_pack: EXIT.invalidPack,
  missing_pack: EXIT.invalidPack,
  no_packs: EXIT.invalidInput,
  invalid_channel: EXIT.invalidInput,
  invalid_options: EXIT.invalidInput,
  credentials_missing: EXIT.invalidInput,
  keys_invalid: EXIT.invalidInput,
  channel_exists: EXIT.invalidInput,
  wrong_channel: EXIT.invalidInput,
};

/** `cavra bundle init`: a channel's TUF keys and root in `out` (the root is what daemons are given). */
export async function bundleInit(options: { channel: string; out: string }): Promise<ChannelTrust> {
  return fleetCall(() => initChannelTrust({ channel: options.channel, keysDir: resolve(options.out) }));
}

/** `cavra bundle push`: every pack of `paths` (files, or folders of packs) validated, signed and published. */
export async function bundlePush(options: {
  connection: FleetConnectionOptions;
  channel: string;
  keysDir: string;
  paths: readonly string[];
  revision?: number;
  defaultPack?: string;
}): Promise<PublishedBundle> {
  const packFiles = (await Promise.all(options.paths.map(packFilesOf))).flat();
  return fleetCall(async () => {
    const fleet = await connectFleet({
      ...options.connection,
      name: 'cavra-bundle-push',
      createBuckets: true,
    });
    try {
      return await publishBundle({
        fleet,
        channel: options.channel,
        packFiles,
        keysDir: resolve(options.keysDir),
        ...(options.revision === undefined ? {} : { revision: options.revision }),
        ...(options.defaultPack === undefined ? {} : { defaultPack: options.defaultPack }),
      });
    } finally {
      await fleet.close();
    }
  });
}

/** `cavra bundle resign`: the channel's current bundle signed again with new expiries (same revision). */
export async function bundleResign(options: {
  connection: FleetConnectionOptions;
  channel: string;
  keysDir: string;
}): Promise<ResignedChannel> {
  return withPublisher(options.connection, (fleet) =>
    resignChannel({ fleet, channel: options.channel, keysDir: resolve(options.keysDir) }),
  );
}

/** `cavra bundle rotate`: new keys for `roles` (default root), a root signed by the old and new root keys. */
export async function bundleRotate(options: {
  connection: FleetConnectionOptions;
  channel: string;
  keysDir: string;
  roles: readonly string[];
}): Promise<RotatedChannelKeys> {
  const unknown = options.roles.filter((role) => !(TUF_ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) {
    throw new CliError(
      EXIT.invalidInput,
      `--role must be one of ${TUF_ROLES.join(', ')}, not ${unknown.join(', ')}`,
    );
  }
  return withPublisher(options.connection, (fleet) =>
    rotateChannelKeys({
      fleet,
      channel: options.channel,
      keysDir: resolve(options.keysDir),
      ...(options.roles.length > 0 ? { roles: options.roles as TufRole[] } : {}),
    }),
  );
}

async function packFilesOf(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new CliError(EXIT.invalidInput, `${path}: no such file or folder`);
  });
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter(
    (name) => PACK_EXTENSIONS.has(extname(name)) && !NOT_PACKS.test(name),
  );
  return names.sort().map((name) => join(path, name));
}

/** Runs `call` on a publisher's connection (buckets created when missing), closed afterwards. */
async function withPublisher<T>(
  connection: FleetConnectionOptions,
  call: (fleet: Fleet) => Promise<T>,
): Promise<T> {
  return fleetCall(async () => {
    const fleet = await connectFleet({ ...connection, name: 'cavra-bundle', createBuckets: true });
    try {
      return await call(fleet);
    } finally {
      await fleet.close();
    }
  });
}

async function fleetCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    throw new CliError(FLEET_EXIT[error.code] ?? EXIT.failed, `${error.code}: ${error.message}`);
  }
}
