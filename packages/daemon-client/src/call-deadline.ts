import { DaemonClientError } from './daemon-client-error.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/**
 * Checks a call's own options before anything is sent: a per-call `timeoutMs` that is not a positive integer is a
 * TypeError, an already aborted signal is `aborted`.
 */
export function checkCallOptions(call: CallOptions): void {
  if (call.timeoutMs !== undefined) positiveInteger('timeoutMs', call.timeoutMs);
  if (call.signal?.aborted) throw new DaemonClientError('aborted', 'the call was aborted before it was sent');
}

/**
 * Runs `exchange` until it settles, the call's timeout passes (`timeout`) or its signal fires (`aborted`);
 * `giveUp` runs in every case once it is over, so the exchange can drop what it still holds.
 */
export async function withDeadline<T>(
  exchange: () => Promise<T>,
  call: CallOptions,
  defaultTimeoutMs: number,
  giveUp: () => void,
): Promise<T> {
  const timeoutMs = call.timeoutMs ?? defaultTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      exchange(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DaemonClientError('timeout', `no answer from the daemon within ${timeoutMs} ms`)),
          timeoutMs,
        );
        onAbort = () => reject(new DaemonClientError('aborted', 'the call was aborted'));
        call.signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) call.signal?.removeEventListener('abort', onAbort);
    giveUp();
  }
}

/** A 0, negative or fractional bound would time every call out at once or never: refuse it where it is set. */
export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
