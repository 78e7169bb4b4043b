import { open } from 'node:fs/promises';
import { isSafeIdentifier } from '@cavra/contracts';
import { type HmacScheme, isHmacScheme, REQUEST_BOUND_SCHEME } from './hmac-scheme.js';
import { RunnerAuthError } from './runner-auth-error.js';

/** One shared secret, named by the key id runners put in `runner_auth.key_id`. */
export interface HmacKey {
  readonly keyId: string;
  readonly secret: Uint8Array;
  /**
   * The one scheme this key verifies: REQUEST_BOUND_SCHEME (the default) or, when the operator opts in for runners
   * that only speak upstream's form, IDENTITY_ONLY_SCHEME.
   */
  readonly scheme?: HmacScheme;
}

/** A key as the keyring holds it: its scheme resolved. */
export interface KeyringKey extends HmacKey {
  readonly scheme: HmacScheme;
}

/** Keys by id. Several at once, so a new key can be rolled out before the old one is retired. */
export interface Keyring {
  get(keyId: string): KeyringKey | undefined;
  readonly keyIds: readonly string[];
}

/** Where a key's secret lives: an environment variable or a file. Never inline, never from a request. */
export interface HmacKeySource {
  readonly keyId: string;
  readonly secretEnv?: string;
  readonly secretFile?: string;
  /** Default REQUEST_BOUND_SCHEME. */
  readonly scheme?: HmacScheme;
}

/** Shortest secret accepted: HMAC-SHA256 keys below 32 bytes give away strength. */
export const MIN_SECRET_BYTES = 32;

/**
 * A keyring from keys already in memory (the secrets are copied). Throws `invalid_config` for a key id that is not a
 * plain identifier, a key id given twice, an unknown scheme, or a secret shorter than MIN_SECRET_BYTES; errors never
 * hold a secret.
 */
export function createKeyring(keys: Iterable<HmacKey>): Keyring {
  const byId = new Map<string, KeyringKey>();
  for (const key of keys) {
    if (!isSafeIdentifier(key.keyId))
      throw new RunnerAuthError('invalid_config', 'HMAC key id must be a plain identifier');
    if (byId.has(key.keyId))
      throw new RunnerAuthError('invalid_config', `HMAC key '${key.keyId}' is given twice`);
    if (key.secret.byteLength < MIN_SECRET_BYTES) {
      throw new RunnerAuthError(
        'invalid_config',
        `HMAC key '${key.keyId}' is shorter than ${MIN_SECRET_BYTES} bytes`,
      );
    }
    const scheme = key.scheme ?? REQUEST_BOUND_SCHEME;
    if (!isHmacScheme(scheme)) {
      throw new RunnerAuthError(
        'invalid_config',
        `HMAC key '${key.keyId}': scheme must be ${REQUEST_BOUND_SCHEME} or cavra.runner-auth.v1`,
      );
    }
    byId.set(key.keyId, { keyId: key.keyId, secret: Uint8Array.from(key.secret), scheme });
  }
  return { get: (keyId) => byId.get(keyId), keyIds: [...byId.keys()] };
}

/**
 * Reads each key's secret from its environment variable or file: the UTF-8 bytes of the value, one trailing
 * newline removed. Errors name the key and the source, never the value.
 */
export async function loadKeyring(
  sources: readonly HmacKeySource[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Keyring> {
  const keys: HmacKey[] = [];
  for (const source of sources) {
    if ((source.secretEnv === undefined) === (source.secretFile === undefined)) {
      throw new RunnerAuthError(
        'invalid_config',
        `HMAC key '${source.keyId}' needs exactly one of secretEnv or secretFile`,
      );
    }
    let value: string | undefined;
    if (source.secretEnv !== undefined) {
      value = env[source.secretEnv];
      if (!value)
        throw new RunnerAuthError(
          'invalid_config',
          `HMAC key '${source.keyId}': environment variable ${source.secretEnv} is not set`,
        );
    } else {
      value = await readSecretFile(source.keyId, source.secretFile as string);
    }
    keys.push({
      keyId: source.keyId,
      secret: new TextEncoder().encode(value.replace(/\r?\n$/, '')),
      ...(source.scheme ? { scheme: source.scheme } : {}),
    });
  }
  return createKeyring(keys);
}

/**
 * A secret file must be private to its owner, as ssh demands of a private key: a key others can read is a key others
 * may have. Permission bits mean nothing on Windows, so the check is POSIX only. The mode is read from the open
 * file, so the file checked is the file read.
 */
async function readSecretFile(keyId: string, path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const { mode } = await handle.stat();
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new RunnerAuthError(
        'invalid_config',
        `HMAC key '${keyId}': its secret file is open to group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof RunnerAuthError) throw error;
    throw new RunnerAuthError(
      'invalid_config',
      `HMAC key '${keyId}': cannot read its secret file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    await handle?.close();
  }
}
