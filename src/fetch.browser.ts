import type { FetchLike } from './types'

/**
 * The browser script's version of fetch.ts: the `fetch` option, else the global `fetch`, looked up
 * now. Every browser and worker the script supports has one, and cross-fetch's XHR fallback could
 * not stream anyway, so nothing else is bundled.
 */
export function resolveFetch(option: FetchLike | undefined): FetchLike {
  return option || (fetch.bind(globalThis) as FetchLike)
}
