import { loadFallbackFetch } from './fallback-fetch'
import type { FetchLike } from './types'

let fallback: Promise<FetchLike> | undefined
/** The global fetch bound to the global object, made once per global fetch and shared by every source. */
let boundGlobal: { fetch: typeof fetch; bound: FetchLike } | undefined

/**
 * Resolves the fetch to use, once per source: the `fetch` option, else the global `fetch` (looked
 * up now, so a test or app that replaces it later is not affected), else cross-fetch, loaded on
 * first use and shared by every source.
 */
export function resolveFetch(option: FetchLike | undefined): FetchLike {
  if (option) return option
  const global = (globalThis as { fetch?: typeof fetch }).fetch
  if (typeof global === 'function') {
    if (boundGlobal?.fetch !== global) boundGlobal = { fetch: global, bound: global.bind(globalThis) as FetchLike }
    return boundGlobal.bound
  }
  return async (input, init) => {
    fallback ??= loadFallbackFetch()
    return (await fallback)(input, init)
  }
}
