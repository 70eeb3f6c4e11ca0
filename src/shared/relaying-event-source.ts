import { EventSource } from '../event-source'
import type { EventSourceInit } from '../types'

/**
 * An `EventSource` that hands every event it would dispatch (`open`, each message, `error`) to
 * `relay` instead, undispatched, so that the `SharedEventSource` owning it can dispatch the very
 * same event object at itself and pass it on to the other sources. Everything else — the
 * connection, reconnection, backoff, the options — is the ordinary EventSource's.
 */
export class RelayingEventSource extends EventSource {
  readonly #relay: (event: Event) => boolean

  /**
   * EventSource's constructor only starts an asynchronous connection attempt: no event can be
   * dispatched before `#relay` is set below.
   */
  constructor(url: string, init: EventSourceInit, relay: (event: Event) => boolean) {
    super(url, init)
    this.#relay = relay
  }

  override dispatchEvent(event: Event): boolean {
    return this.#relay(event)
  }
}
