import type { ObjectResult, ObjectStore } from '@nats-io/obj';

// How long a read may go on before the object's info is looked at again to see whether it was replaced meanwhile.
const REPLACED_CHECK_MS = 250;

/**
 * Reads a whole object (null when there is none). `getBlob` of @nats-io/obj 3.4 waits forever when the object is
 * replaced during the read (a put purges the old chunks, and the reader's consumer waits for chunks that are gone):
 * `timestamp.json` is replaced by every push, so a daemon woken by a push could hang there. Here, while a read goes
 * on, the object's info is read again every REPLACED_CHECK_MS; another nuid means it was replaced, and the read
 * starts over on the new version. The object's SHA-256 is checked by the library, as in getBlob.
 */
export async function readStoreObject(objects: ObjectStore, name: string): Promise<Uint8Array | null> {
  for (;;) {
    const result = await objects.get(name);
    if (result === null) return null;
    const reader = result.data.getReader();
    const reading = readAll(reader, result);
    // Whatever the read ends with once it lost the race below is of no interest.
    reading.catch(() => undefined);
    const replaced = replacement(objects, name, result.info.nuid);
    let read: Uint8Array | undefined;
    try {
      read = await Promise.race([reading, replaced.promise]);
    } finally {
      replaced.stop();
      if (read === undefined) await reader.cancel().catch(() => undefined);
    }
    if (read !== undefined) return read;
  }
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
