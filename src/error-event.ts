import type { ConnectionFailure, FailureKind } from './types'

/**
 * Extension: every `error` event the source dispatches is one of these. It is an ordinary
 * `Event` of type `error` — code written for the native EventSource, which sees a plain `Event`,
 * is unaffected — that also says what went wrong and what happens next.
 *
 * @example
 * source.onerror = (event) => {
 *   if (event instanceof EventSourceErrorEvent) {
 *     console.warn(event.message, event.retryDelay === undefined ? 'closed' : `retry in ${event.retryDelay} ms`)
 *   }
 * }
 */
export class EventSourceErrorEvent extends Event {
  /** What went wrong (`'http'`, `'content-type'`, `'network'`, `'timeout'`, `'end'`, `'event-size'`). */
  declare readonly kind: FailureKind
  /** The response status when the response was the failure (`'http'`, `'content-type'`), else undefined. */
  declare readonly status: number | undefined
  /** The response headers, where there was a response. */
  declare readonly headers: Headers | undefined
  /** A human-readable description: `"HTTP 503 Service Unavailable"`, `"read timeout after 30000 ms"`, … */
  declare readonly message: string
  /** The underlying error, where there was one. */
  declare readonly cause: unknown
  /** How many consecutive attempts have failed since the last healthy connection, this one included. */
  declare readonly attempt: number
  /** The ms until the next connection attempt, or `undefined` when the source is now CLOSED. */
  declare readonly retryDelay: number | undefined

  constructor(failure: ConnectionFailure, retryDelay: number | undefined) {
    super('error')
    Object.assign(this, failure, { retryDelay })
  }
}
