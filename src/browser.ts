/**
 * Entry of the minified browser script (an IIFE), and of `isomorphic-eventsource/browser`. It
 * defines the global `IsomorphicEventSource` (everything the package exports but
 * `SharedEventSource`, see browser-api.ts) and installs
 * `EventSource` as the global one where there is none. The global is assigned, not declared with
 * `var`, so it is defined however the file runs: as a `<script>`, or imported as a module.
 */
import { constantBackoff, EventSource, EventSourceErrorEvent, exponentialBackoff } from './browser-api'
import { installGlobal } from './install-global'

const api = { EventSource, EventSourceErrorEvent, exponentialBackoff, constantBackoff }

declare global {
  /**
   * Everything `isomorphic-eventsource` exports, defined by the browser script
   * (`dist/eventsource.min.js`, also `isomorphic-eventsource/browser`).
   * @example
   * ```html
   * <script src="https://unpkg.com/isomorphic-eventsource/dist/eventsource.min.js"></script>
   * <script>
   *   const source = new IsomorphicEventSource.EventSource('/events', { headers: { Authorization: 'Bearer …' } })
   * </script>
   * ```
   */
  var IsomorphicEventSource: typeof api
}

installGlobal()
globalThis.IsomorphicEventSource = api
