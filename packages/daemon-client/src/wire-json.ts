import { shareInstanceof } from '@cavra/contracts/plain';

/** Why a frame's bytes are not one JSON value in well-formed Unicode. */
export type WireJsonProblem = 'invalid_utf8' | 'lone_surrogate' | 'invalid_json';

/** Thrown by parseWireJson; the message is a fixed text (never the frame's content). */
export class WireJsonError extends Error {
  readonly problem: WireJsonProblem;

  constructor(problem: WireJsonProblem, message: string) {
    super(message);
    this.name = 'WireJsonError';
    this.problem = problem;
  }
}
shareInstanceof(WireJsonError, '@cavra/daemon-client.WireJsonError');

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Only a \u escape of a surrogate can put a lone one into parsed JSON (the text itself is valid UTF-8), so a frame
// without one needs no walk.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * One frame's bytes as JSON, refusing what a lenient decoder would silently change: bytes that are not UTF-8 (a
 * lenient decoder makes them U+FFFD) and strings or keys holding a lone UTF-16 surrogate (`"\ud800"`: it has no
 * UTF-8 form, so two different values would be recorded and signed alike). A `\r` before the end is dropped.
 * Throws WireJsonError.
 */
export function parseWireJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new WireJsonError('invalid_utf8', 'frame is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text.endsWith('\r') ? text.slice(0, -1) : text);
  } catch {
    throw new WireJsonError('invalid_json', 'frame is not valid JSON');
  }
  if (SURROGATE_ESCAPE.test(text) && holdsLoneSurrogate(value)) {
    throw new WireJsonError('lone_surrogate', 'frame holds a lone UTF-16 surrogate (\\ud800-\\udfff escape)');
  }
  return value;
}

/** Walks the value with a stack of its own: a 1 MiB frame can nest deeper than the call stack reaches. */
function holdsLoneSurrogate(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item); // not push(...value): a long array exceeds the argument limit
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return true;
        stack.push(item);
      }
    }
  }
  return false;
}
