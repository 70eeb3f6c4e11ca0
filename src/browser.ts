/**
 * Entry of the minified browser script (an IIFE). It exposes everything under the global
 * `IsomorphicEventSource` and installs `EventSource` as the global one where there is none.
 */
import { installGlobal } from './install-global'

installGlobal()

export * from './index'
