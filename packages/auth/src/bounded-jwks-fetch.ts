import { RunnerAuthError } from './runner-auth-error.js';

/**
 * A fetch for jose's remote key set that refuses a response body larger than `maxBytes`: a key set is a few
 * kilobytes, and an issuer (or whatever answers in its place) must not be able to make the daemon buffer megabytes.
 * The declared length is checked first, then the (decompressed) bytes as they arrive, so a chunked or compressed
 * body is bounded too.
 */
export function boundedJwksFetch(maxBytes: number): typeof fetch {
  const tooLarge = () =>
    new RunnerAuthError('jwks_unavailable', `provider JWKS response is larger than ${maxBytes} bytes`);
  return async (input, init) => {
    const response = await fetch(input, init);
    // jose refuses anything but 200 without reading the body.
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      return response;
    }
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
      await response.body.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    for await (const chunk of response.body) {
      received += chunk.byteLength;
      if (received > maxBytes) throw tooLarge(); // leaving the loop early cancels the stream
      chunks.push(chunk);
    }
    return new Response(Buffer.concat(chunks), { status: 200 });
  };
}
