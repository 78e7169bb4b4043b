import { connect } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: the wire JSON, read field by field.
type Json = Record<string, any>;

/** An upstream-style client: the request as JSON (with a newline, or ended by the half-close), one JSON value back. */
export function upstreamStyleClient(
  socketPath: string,
  request: Json,
  ending: 'newline' | 'half-close',
): Promise<Json> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (ending === 'newline') socket.write(`${JSON.stringify(request)}\n`);
      else socket.end(JSON.stringify(request));
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline !== -1) {
        socket.destroy();
        resolve(JSON.parse(text.slice(0, newline)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(text)}`)));
  });
}
