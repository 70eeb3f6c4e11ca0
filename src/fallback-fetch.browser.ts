import type { FetchLike } from './types'

/**
 * The browser script never bundles cross-fetch: its XHR fallback buffers the whole response, so
 * nothing would stream. A browser without `fetch` must pass one in the `fetch` option.
 */
export async function loadFallbackFetch(): Promise<FetchLike> {
  throw new TypeError(
    'EventSource: this runtime has no global `fetch`; pass a streaming fetch implementation in the `fetch` option',
  )
}
