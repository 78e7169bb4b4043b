import { Readable } from 'node:stream';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
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

  constructor(
    private readonly store: StoreReader,
    private readonly signal?: AbortSignal,
  ) {
    super();
  }

  override async fetch(url: string): Promise<NodeJS.ReadableStream> {
    if (!url.startsWith(BUNDLE_STORE_URL)) throw new DownloadHTTPError(`not a bundle store URL: ${url}`, 400);
    const name = decodeURIComponent(url.slice(BUNDLE_STORE_URL.length));
    let bytes: Uint8Array | null;
    try {
      bytes = await readStoreObject(this.store, name, this.signal);
    } catch (error) {
      this.transportError = error as Error;
      throw error;
    }
    if (bytes === null) throw new DownloadHTTPError(`no object ${name}`, 404);
    return Readable.from([Buffer.from(bytes)]);
  }
}
