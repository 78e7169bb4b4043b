import { readFile } from 'node:fs/promises';
import {
  type Authenticator,
  credsAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { FleetError } from './fleet-error.js';

/**
 * How to reach the fleet's NATS servers: the same shape as the daemon config's `fleet:` section and the CLI's flags.
 * Secrets are never values here: the names of environment variables holding them, or a credentials file.
 */
export interface FleetConnectionOptions {
  /** The servers, `nats://host:port` or `tls://host:port` (a client tries the others when one is down). */
  servers: readonly string[];
  /** A NATS user, with its password in the environment variable `password_env`. */
  user?: string;
  password_env?: string;
  /** The environment variable holding a NATS token. */
  token_env?: string;
  /** A NATS credentials file (a user JWT and its NKey seed, as `nsc` writes them). */
  creds_file?: string;
  /** The connection's name, as the servers' monitoring shows it (default `cavra-fleet`). */
  name?: string;
}

const SERVER_URL = /^(?:nats|tls):\/\/[^\s/]+$/;

/** The servers, checked: at least one, each a `nats://` or `tls://` URL with no path. */
export function checkedServers(servers: unknown): string[] {
  if (!Array.isArray(servers) || servers.length === 0)
    throw new FleetError('invalid_options', 'servers must list at least one NATS server URL');
  for (const server of servers) {
    if (typeof server !== 'string' || !SERVER_URL.test(server))
      throw new FleetError(
        'invalid_options',
        `servers: ${JSON.stringify(server)} is not a NATS server URL (nats://host:port or tls://host:port)`,
      );
  }
  return [...servers];
}

/**
 * The authenticator the options name, reading secrets from `env` and the credentials file; undefined when the
 * options name no credentials. Exactly one way may be named: two would leave which one the server saw unclear.
 */
export async function fleetAuthenticator(
  options: FleetConnectionOptions,
  env: NodeJS.ProcessEnv,
): Promise<Authenticator | undefined> {
  const named = [
    options.user !== undefined && 'user',
    options.token_env !== undefined && 'token_env',
    options.creds_file !== undefined && 'creds_file',
  ].filter((name) => name !== false);
  if (named.length > 1)
    throw new FleetError('invalid_options', `name one way to authenticate, not ${named.join(' and ')}`);
  if (options.password_env !== undefined && options.user === undefined)
    throw new FleetError('invalid_options', 'password_env needs user');
  if (options.user !== undefined) {
    if (options.password_env === undefined)
      throw new FleetError('invalid_options', 'user needs password_env (the variable holding the password)');
    return usernamePasswordAuthenticator(options.user, secretFrom(env, options.password_env));
  }
  if (options.token_env !== undefined) return tokenAuthenticator(secretFrom(env, options.token_env));
  if (options.creds_file !== undefined) {
    const creds = await readFile(options.creds_file).catch((error: NodeJS.ErrnoException) => {
      throw new FleetError(
        'credentials_missing',
        `the NATS credentials file ${options.creds_file} cannot be read (${error.code})`,
      );
    });
    return credsAuthenticator(creds);
  }
  return undefined;
}

function secretFrom(env: NodeJS.ProcessEnv, variable: string): string {
  const value = env[variable];
  if (value === undefined || value === '')
    throw new FleetError('credentials_missing', `the environment variable ${variable} is not set or empty`);
  return value;
}
