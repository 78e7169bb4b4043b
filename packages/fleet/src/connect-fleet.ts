import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm, type KvOptions } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import { APPROVALS_MAX_AGE_MS } from './approval-keys.js';
import { createEvidenceStreams } from './evidence-streams.js';
import { FLEET_BUCKETS } from './fleet-buckets.js';
import {
  checkedServers,
  type FleetConnectionOptions,
  fleetAuthenticator,
} from './fleet-connection-options.js';
import { FleetError } from './fleet-error.js';
import { toFleetError } from './nats-failure.js';

/** Options of {@link connectFleet}. */
export interface ConnectFleetOptions extends FleetConnectionOptions {
  /**
   * Create the buckets that do not exist yet (a publisher's or an operator's connection), with `replicas` copies;
   * without it the buckets must exist and are only bound (a daemon's connection). Each creation may take up to
   * 30 s: a replicated stream answers once its copies have elected a leader.
   */
  createBuckets?: boolean;
  /** Copies of each bucket when created (default 3: a 3-node cluster survives the loss of one node). */
  replicas?: number;
  /** How long to try the servers before failing (default 5000 ms). */
  timeoutMs?: number;
  /** Where `password_env` and `token_env` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A connection to the fleet's NATS servers with its buckets bound. */
export interface Fleet {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kvm: Kvm;
  readonly objm: Objm;
  /** KV `cavra_bundle_heads`: channel → `{ revision, target }`. */
  readonly bundleHeads: KV;
  /** KV `cavra_fleet_status`: daemon id → heartbeat. */
  readonly fleetStatus: KV;
  /** Object Store `cavra_bundles`: TUF metadata and targets per channel. */
  readonly bundles: ObjectStore;
  /** Drains and closes the connection. */
  close(): Promise<void>;
}

/**
 * How each KV bucket is kept: heads keep a short history for operators; a status key only its last heartbeat. Reads
 * go to the stream's leader (`allow_direct: false`): a direct get may be answered by a replica that lags behind, so
 * a head just written, or a key just listed, could read as older or missing (@nats-io/kv's own warning; seen under
 * load as a status view with no daemons).
 */
const KV_BUCKETS: Readonly<Record<'bundleHeads' | 'fleetStatus', Partial<KvOptions>>> = {
  bundleHeads: { history: 10, allow_direct: false },
  fleetStatus: { history: 1, allow_direct: false },
};

/**
 * The approvals bucket: created with the others but bound only by `openFleetApprovalStore` (a daemon without
 * approvals needs no access to it). A key goes `APPROVALS_MAX_AGE_MS` after its last write (stream max_age).
 */
export const APPROVALS_BUCKET: Partial<KvOptions> = {
  history: 1,
  allow_direct: false,
  ttl: APPROVALS_MAX_AGE_MS,
};

/**
 * Connects to the fleet's NATS servers and binds the buckets (creating them with `replicas` copies when
 * `createBuckets`). Every failure is a {@link FleetError}: unreachable servers, refused credentials, JetStream off,
 * a missing bucket, a permission the user lacks.
 */
export async function connectFleet(options: ConnectFleetOptions): Promise<Fleet> {
  const servers = checkedServers(options.servers);
  const replicas = options.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw new FleetError('invalid_options', `replicas must be an integer from 1 to 5, got ${replicas}`);
  const authenticator = await fleetAuthenticator(options, options.env ?? process.env);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.name ?? 'cavra-fleet',
      timeout: options.timeoutMs ?? 5_000,
      ...(authenticator ? { authenticator } : {}),
      // Followers must come back by themselves after a server restart (they re-read the head on reconnect).
      maxReconnectAttempts: -1,
      // Otherwise every request builds an Error for its caller's stack, in case it fails: about a tenth of a fleet
      // daemon's NATS time at each push. A failure still says what failed (FleetError codes), not from where.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw connectionError(error, servers);
  }
  try {
    if (options.createBuckets) await createFleetBuckets(nc, replicas);
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const kvm = new Kvm(js);
    const objm = new Objm(js);
    const kv = (key: keyof typeof KV_BUCKETS) =>
      bucket(FLEET_BUCKETS[key], async (name) => {
        const bound = await kvm.open(name);
        await bound.status(); // open() alone does not look: a missing bucket would fail later, less clearly.
        return bound;
      });
    const bundleHeads = await kv('bundleHeads');
    const fleetStatus = await kv('fleetStatus');
    const bundles = await bucket(FLEET_BUCKETS.bundles, (name) => objm.open(name));
    return {
      nc,
      js,
      jsm,
      kvm,
      objm,
      bundleHeads,
      fleetStatus,
      bundles,
      close: () => nc.drain(),
    };
  } catch (error) {
    await nc.close();
    throw toFleetError(error);
  }
}

/**
 * How long one request that creates a bucket or stream waits. A replicated stream answers once its copies have elected
 * a leader; when the first, immediate campaign fails (a loaded machine), nats-server's next election waits 4 to 9 s,
 * past the client's usual 5 s: this covers two such rounds and the answer.
 */
const CREATE_TIMEOUT_MS = 30_000;

/**
 * Creates the fleet's buckets that do not exist yet, and the evidence streams and buckets (bound by the shipper and
 * the verifier themselves), each with `replicas` copies. Their own client, with the longer wait: the handles
 * connectFleet returns keep the usual one.
 */
async function createFleetBuckets(nc: NatsConnection, replicas: number): Promise<void> {
  const js = jetstream(nc, { timeout: CREATE_TIMEOUT_MS });
  const kvm = new Kvm(js);
  for (const key of Object.keys(KV_BUCKETS) as (keyof typeof KV_BUCKETS)[])
    await kvm.create(FLEET_BUCKETS[key], { ...KV_BUCKETS[key], replicas });
  await kvm.create(FLEET_BUCKETS.approvals, { ...APPROVALS_BUCKET, replicas });
  await new Objm(js).create(FLEET_BUCKETS.bundles, { replicas });
  await createEvidenceStreams({ jsm: await js.jetstreamManager(), kvm }, replicas);
}

/** Binds one bucket; a missing one is named. */
export async function bucket<T>(name: string, bind: (name: string) => Promise<T>): Promise<T> {
  try {
    return await bind(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      throw new FleetError(
        'bucket_missing',
        `the fleet bucket ${name} does not exist: a publisher creates them (connectFleet with createBuckets)`,
        { cause: error },
      );
    throw error;
  }
}

function connectionError(error: unknown, servers: readonly string[]): FleetError {
  if (error instanceof AuthorizationError)
    return new FleetError('nats_auth_failed', `the NATS servers refused the credentials (${error.message})`, {
      cause: error,
    });
  return new FleetError(
    'nats_unreachable',
    `no NATS server of ${servers.join(', ')} could be reached (${(error as Error).message})`,
    { cause: error },
  );
}
