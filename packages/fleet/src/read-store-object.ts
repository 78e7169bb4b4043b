import { createHash } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { ObjectInfo, ObjectResult, ObjectStore } from '@nats-io/obj';
import { FLEET_BUCKETS } from './fleet-buckets.js';

/** What reading the bundles store needs: the Object Store, and the JetStream API its one-chunk objects are read by. */
export interface StoreReader {
  readonly bundles: ObjectStore;
  readonly jsm: JetStreamManager;
}

// The Object Store's layout (NATS ADR-20): bucket B is stream OBJ_B; an object's chunks are the messages of subject
// $O.B.C.<nuid>, and its info names the nuid, the chunk count and the SHA-256 of the whole.
const STREAM = `OBJ_${FLEET_BUCKETS.bundles}`;
const chunkSubject = (nuid: string) => `$O.${FLEET_BUCKETS.bundles}.C.${nuid}`;
const DIGEST_PREFIX = 'SHA-256=';

// How long a read of several chunks may go on before the object's info is looked at again (replaced meanwhile?).
const REPLACED_CHECK_MS = 250;

/**
 * Reads a whole object (null when there is none), checking its SHA-256 against its info. An object of one chunk
 * (every TUF metadata file, and a bundle up to the 128 KiB chunk size) is read with two requests to the stream's
 * leader (its info, then its chunk): @nats-io/obj's reader makes a consumer per object, which a cluster creates
 * through its meta leader (twenty daemons woken by one push made eighty at once), and which waited forever when
 * the object was replaced during the read (a push replaces `timestamp.json`; the old chunks are purged). Larger
 * objects go through the library's reader, watched: another nuid in the info means the object was replaced. A
 * replaced object is read again, its new version. `signal` abandons the read (it rejects with the signal's reason).
 */
export async function readStoreObject(
  store: StoreReader,
  name: string,
  signal?: AbortSignal,
): Promise<Uint8Array | null> {
  for (;;) {
    signal?.throwIfAborted();
    const info = await abortable(store.bundles.info(name), signal);
    if (info === null || info.deleted) return null;
    const read =
      info.chunks <= 1
        ? await readOneChunk(store.jsm, info, signal)
        : await readChunks(store.bundles, name, signal);
    if (read !== undefined) return read;
  }
}

/**
 * The object's only chunk, checked against the info's SHA-256; undefined when it is gone (the object was replaced
 * since its info was read).
 */
async function readOneChunk(
  jsm: JetStreamManager,
  info: ObjectInfo,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | undefined> {
  const data =
    info.chunks === 0
      ? new Uint8Array()
      : (await abortable(jsm.streams.getMessage(STREAM, { last_by_subj: chunkSubject(info.nuid) }), signal))
          ?.data;
  if (data === undefined) return undefined;
  if (!sameDigest(data, info.digest))
    throw new Error(`object ${info.name} of the bundles store does not match its SHA-256 digest`);
  return data;
}

/**
 * Every chunk through the library's reader (which checks the SHA-256); undefined when the object was replaced during
 * the read.
 */
async function readChunks(
  objects: ObjectStore,
  name: string,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | undefined> {
  const result = await abortable(objects.get(name), signal);
  if (result === null) return undefined;
  const reader = result.data.getReader();
  const reading = readAll(reader, result);
  // Whatever the read ends with once it lost the race below is of no interest.
  reading.catch(() => undefined);
  const replaced = replacement(objects, name, result.info.nuid);
  let read: Uint8Array | undefined;
  try {
    read = await abortable(Promise.race([reading, replaced.promise]), signal);
  } finally {
    replaced.stop();
    if (read === undefined) await reader.cancel().catch(() => undefined);
  }
  return read;
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  result: ObjectResult,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  // An error here (or a rejection) when the chunks' digest is not the object's.
  const failure = await result.error;
  if (failure) throw failure;
  return Buffer.concat(parts);
}

/** Resolves (undefined) once `name` no longer has `nuid`; rejects when its info cannot be read. */
function replacement(objects: ObjectStore, name: string, nuid: string) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<undefined>((resolve, reject) => {
    const look = () => {
      timer = setTimeout(async () => {
        try {
          const info = await objects.info(name);
          if (stopped) return;
          if (info?.nuid !== nuid) resolve(undefined);
          else look();
        } catch (error) {
          if (!stopped) reject(error);
        }
      }, REPLACED_CHECK_MS);
    };
    look();
  });
  return {
    promise,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function sameDigest(bytes: Uint8Array, digest: string): boolean {
  if (!digest.startsWith(DIGEST_PREFIX)) return false;
  const expected = Buffer.from(digest.slice(DIGEST_PREFIX.length), 'base64url');
  return expected.equals(createHash('sha256').update(bytes).digest());
}

/** `promise`, or the signal's reason as soon as it is aborted. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
