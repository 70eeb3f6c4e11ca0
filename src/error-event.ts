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
  readonly kind: FailureKind
  /** The response status when the response was the failure (`'http'`, `'content-type'`), else undefined. */
  readonly status: number | undefined
  /** The response headers, where there was a response. */
  readonly headers: Headers | undefined
  /** A human-readable description: `"HTTP 503 Service Unavailable"`, `"read timeout after 30000 ms"`, … */
  readonly message: string
  /** The underlying error, where there was one. */
  readonly cause: unknown
  /** The ms until the next connection attempt, or `undefined` when the source is now CLOSED. */
  readonly retryDelay: number | undefined

  constructor(failure: Omit<ConnectionFailure, 'attempt'>, retryDelay: number | undefined) {
    super('error')
    this.kind = failure.kind
    this.status = failure.status
    this.headers = failure.headers
    this.message = failure.message
    this.cause = failure.cause
    this.retryDelay = retryDelay
  }
}
