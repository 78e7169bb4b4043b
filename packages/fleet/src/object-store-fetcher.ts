import { Readable } from 'node:stream';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';
import { objectsAfter } from './read-ahead.js';
import { readStoreObject, type StoreReader } from './read-store-object.js';

/** The scheme and host of the URLs the Updater is given; the path after it is the object's name. */
export const BUNDLE_STORE_URL = 'cavra-bundles://store/';

/**
 * tuf-js's fetcher over the NATS Object Store. A missing object is DownloadHTTPError 404, which is how the Updater
 * knows there is no next root version. Any other failure (NATS down, timeout) is kept in `transportError` so the
 * caller reports the store as unreachable rather than the metadata as bad.
 */
export class ObjectStoreFetcher extends BaseFetcher {
  transportError: Error | undefined;
  /** Objects read ahead of the client's asking (objectsAfter), by name; each taken once. */
  readonly #ahead = new Map<string, Promise<Uint8Array | null>>();

  constructor(
    private readonly store: StoreReader,
    private readonly signal?: AbortSignal,
  ) {
    super();
  }

  override async fetch(url: string): Promise<NodeJS.ReadableStream> {
    return Readable.from([Buffer.from(await this.#read(url))]);
  }

  /**
   * The metadata files, handed over in memory: BaseFetcher's own writes each one to a temporary folder and reads it
   * back (a mkdtemp, a write, a read and a removal per file, four files per refresh). Its length limit is kept.
   */
  override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const bytes = await this.#read(url);
    if (bytes.length > maxLength) throw new DownloadLengthMismatchError('Max length reached');
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async #read(url: string): Promise<Uint8Array> {
    if (!url.startsWith(BUNDLE_STORE_URL)) throw new DownloadHTTPError(`not a bundle store URL: ${url}`, 400);
    const name = decodeURIComponent(url.slice(BUNDLE_STORE_URL.length));
    let bytes: Uint8Array | null;
    try {
      bytes = await (this.#take(name) ?? readStoreObject(this.store, name, this.signal));
    } catch (error) {
      this.transportError = error as Error;
      throw error;
    }
    if (bytes === null) throw new DownloadHTTPError(`no object ${name}`, 404);
    // Reads still to be taken are what the client asks for next (the head's hint, or the timestamp beside the root
    // probe): then there is nothing to look for in this object, and parsing it would be wasted.
    if (this.#ahead.size === 0) for (const next of objectsAfter(name, bytes)) this.#readAhead(next);
    return bytes;
  }

  /** Starts reading these objects now, for when the client asks for them (objectsFirst). */
  readAhead(names: readonly string[]): void {
    for (const name of names) this.#readAhead(name);
  }

  #readAhead(name: string): void {
    if (this.#ahead.has(name)) return;
    const reading = readStoreObject(this.store, name, this.signal);
    // A failed read ahead surfaces when (if) the client asks for that object.
    reading.catch(() => undefined);
    this.#ahead.set(name, reading);
  }

  #take(name: string): Promise<Uint8Array | null> | undefined {
    const reading = this.#ahead.get(name);
    this.#ahead.delete(name);
    return reading;
  }
}
