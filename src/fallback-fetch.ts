import type { FetchLike } from './types'

/**
 * Loads `cross-fetch` for runtimes without a global `fetch`. In Node it is node-fetch 2, whose
 * response body is a Node stream (see body-reader.ts). Loaded lazily so that runtimes with a
 * global fetch never load it. The browser script never bundles it (see fetch.browser.ts).
 */
export async function loadFallbackFetch(): Promise<FetchLike> {
  const module = (await import('cross-fetch')) as unknown as { default?: unknown; fetch?: unknown }
  const fetch = typeof module.default === 'function' ? module.default : module.fetch
  return fetch as FetchLike
}
