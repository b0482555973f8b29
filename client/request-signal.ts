// The abort signal a client request waits under: the caller's own signal combined with the
// request timeout (per request, or the client's default), so that either ends the wait.
import { RequestTimeoutError } from '../protocol/errors.js';
import type { RequestOptions } from './types.js';

/** The caller's signal combined with the request timeout (RequestTimeoutError as reason). */
export function requestSignal(
  options: RequestOptions,
  defaultRequestTimeoutMs: number | undefined,
): {
  signal: AbortSignal | undefined;
  dispose: () => void;
} {
  const timeoutMs = options.timeoutMs ?? defaultRequestTimeoutMs;
  if (timeoutMs === undefined) return { signal: options.signal, dispose: () => undefined };
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new RequestTimeoutError(`no reply within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const forward = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) forward();
  else options.signal?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', forward);
    },
  };
}
