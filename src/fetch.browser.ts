import type { FetchLike } from './types'

/**
 * The browser builds' version of fetch.ts (the script and dist/index.browser.mjs): the `fetch`
 * option, else the global `fetch`, looked up now. Every browser and worker they support has one,
 * and cross-fetch's XHR fallback could not stream anyway, so nothing else is bundled.
 */
export function resolveFetch(option: FetchLike | undefined): FetchLike {
  return option || (fetch.bind(globalThis) as FetchLike)
}
