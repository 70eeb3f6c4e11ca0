/**
 * Side-effect entry: `import 'isomorphic-eventsource/polyfill'` installs our `EventSource` as the
 * global one where the runtime has none, and leaves a native one in place.
 */
import { installGlobal } from './install-global'

installGlobal()

export { EventSource } from './event-source'
