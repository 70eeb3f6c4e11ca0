import type { EventSourceMessage } from 'eventsource-parser'
import { connect, type AbortAttempt, type AttemptCallbacks } from './connection'
import { EventSourceErrorEvent } from './error-event'
import { EventIterator, type EventIteratorOptions } from './event-iterator'
import { EventStream, type EventStreamHandlers } from './event-stream'
import type { FailureDetails } from './failure'
import { FlowControl } from './flow-control'
import { createMessageEvent } from './message-event'
import { resolveOptions, type ResolvedOptions } from './options'
import { BROWSER_SCRIPT } from './platform'
import { ReconnectWait } from './reconnect-wait'
import { parseRetryAfter } from './retry-after'
import { clampDelay } from './timers'
import type { ConnectionFailure, EventSourceInit } from './types'

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

/** The events an EventSource dispatches, by type (other types are `MessageEvent`s too). */
export interface EventSourceEventMap {
  open: Event
  message: MessageEvent
  error: EventSourceErrorEvent
}

/** addEventListener's options, declared here so that projects with only Node's types type-check. */
type ListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal }
/** A listener function or object, as lib.dom's EventListenerOrEventListenerObject. */
type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown }

/**
 * The public shape of an EventSource, ours or the platform's: `this` in handlers. Structural, so
 * that our class stays assignable to lib.dom's `EventSource` (our private fields make the class
 * itself nominal).
 */
export interface EventSourceShape extends EventTarget {
  readonly url: string
  readonly readyState: number
  readonly withCredentials: boolean
  readonly CONNECTING: 0
  readonly OPEN: 1
  readonly CLOSED: 2
  close(): void
}

type Handler<E extends Event> = ((this: EventSourceShape, event: E) => unknown) | null
type HandlerType = 'open' | 'message' | 'error'

/**
 * A client for server-sent events, as the WHATWG HTML standard's `EventSource` (§ 9.2), running
 * on `fetch` in browsers, workers, Node 18+, Deno and Bun. With only `withCredentials` it behaves
 * as the platform's; every other option is an extension (see {@link EventSourceInit}).
 *
 * @example
 * const source = new EventSource('https://example.com/events')
 * source.onmessage = (event) => console.log(event.data)
 * source.addEventListener('update', (event) => console.log(event.lastEventId, event.data))
 */
export class EventSource extends EventTarget {
  declare static readonly CONNECTING: 0
  declare static readonly OPEN: 1
  declare static readonly CLOSED: 2
  declare readonly CONNECTING: 0
  declare readonly OPEN: 1
  declare readonly CLOSED: 2
  static readonly #constantsDefined = /* @__PURE__ */ defineReadyStateConstants(this)

  readonly #url: string
  readonly #options: ResolvedOptions
  readonly #stream: EventStream
  #readyState: number = CONNECTING
  /** § 9.2.2: "a last event ID string … must initially be the empty string." */
  #lastEventId: string
  /** § 9.2.2: "a reconnection time, in milliseconds … initially an implementation-defined value". */
  #reconnectionTime: number
  /** Aborts the connection attempt under way, if any (and identifies it). */
  #attempt: AbortAttempt | undefined
  /** The wait before the next attempt, made on the first reconnection. */
  #wait: ReconnectWait | undefined
  /**
   * Extension: consecutive failed attempts since the last healthy connection. A connection that
   * dispatched an event was healthy: it sets the count back to 0, so the failure that ends it is
   * attempt 1 again.
   */
  #failedAttempts = 0
  /** When the current connection was announced; undefined while there is none. */
  #openedAt: number | undefined
  /** Extension: the async iterators reading this source's events, if any. */
  #iterators: Set<EventIterator> | undefined
  /** Extension: lets iterators that fall behind pause the reading of the body; made with the first. */
  #flow: FlowControl | undefined
  /** The event handler attributes' values (HTML § 8.1.8.1), by event type; made when one is first set. */
  #handlers: Partial<Record<HandlerType, Handler<Event>>> | undefined

  /**
   * What the event stream and the connection attempts call back (#dispatchMessage, #announce, …):
   * one small object per source whose methods are on its prototype, rather than a closure per
   * callback, since every idle source pays for what it keeps. Declared in the class body, so that
   * it reaches the source's private members.
   */
  static readonly #Callbacks = class implements EventStreamHandlers, AttemptCallbacks {
    readonly #source: EventSource
    /** Set only for a source with the `onComment` option (the stream skips comments without it). */
    declare onComment?: (text: string) => void
    constructor(source: EventSource) {
      this.#source = source
    }
    onEvent(message: EventSourceMessage): void {
      this.#source.#dispatchMessage(message)
    }
    onId(id: string): void {
      this.#source.#setLastEventId(id)
    }
    onRetry(ms: number): void {
      this.#source.#setReconnectionTime(ms)
    }
    announce(origin: string): void {
      this.#source.#announce(origin)
    }
    ended(attempt: AbortAttempt, failure: FailureDetails | undefined): void {
      this.#source.#attemptEnded(attempt, failure)
    }
    get flow(): FlowControl | undefined {
      return this.#source.#flow
    }
  }

  readonly #callbacks = new EventSource.#Callbacks(this)

  /**
   * @param url - the event stream's URL, resolved against the document's base URL in a browser
   *   (it must be absolute elsewhere).
   * @param eventSourceInitDict - `withCredentials`, and the extensions of {@link EventSourceInit}.
   * @throws DOMException `SyntaxError` when `url` is not a valid URL; TypeError or RangeError,
   *   naming the option, when an option is invalid.
   */
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit) {
    super()
    const href = String(url)
    this.#options = resolveOptions(eventSourceInitDict)
    // Steps 3–5: "Let urlRecord be the result of encoding-parsing a URL given url, relative to
    // settings. If urlRecord is failure, then throw a "SyntaxError" DOMException."
    this.#url = parseUrl(href)
    this.#lastEventId = this.#options.lastEventId
    this.#reconnectionTime = this.#options.retryDelay
    // Closures that few sources need are made only when needed: every idle source pays for its fields.
    if (this.#options.onComment) this.#callbacks.onComment = (text) => this.#reportComment(text)
    this.#stream = new EventStream(this.#callbacks, this.#options.maxEventSize)
    const { signal } = this.#options
    if (signal?.aborted) {
      this.#readyState = CLOSED
      return
    }
    // biome-ignore lint/suspicious/noAssignInExpressions: kept for the listener's removal in close(), in the fewest bytes
    if (signal) signal.addEventListener('abort', (this.#closeOnAbort = () => this.close()))
    // Step 15: "Fetch request".
    this.#connect()
  }

  /** The URL of the event stream, resolved (§ 9.2.2 `url`). */
  get url(): string {
    return this.#url
  }

  /** Whether cross-origin requests carry credentials (§ 9.2.2 `withCredentials`). */
  get withCredentials(): boolean {
    return this.#options.withCredentials
  }

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2) (§ 9.2.2 `readyState`). */
  get readyState(): number {
    return this.#readyState
  }

  /** Receives the `open` event, in order with the listeners added before it was first set. */
  get onopen(): Handler<Event> {
    return this.#handlers?.open ?? null
  }
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler)
  }

  /** Receives `message` events (events without an `event:` field, or with `event: message`). */
  get onmessage(): Handler<MessageEvent> {
    return (this.#handlers?.message ?? null) as Handler<MessageEvent>
  }
  set onmessage(handler: Handler<MessageEvent>) {
    this.#setHandler('message', handler as Handler<Event>)
  }

  /**
   * Receives every `error` event: an {@link EventSourceErrorEvent}. Typed `Event`, as in lib.dom,
   * so the class stays assignable to the platform's; `addEventListener('error', …)` is typed
   * with the subclass.
   */
  get onerror(): Handler<Event> {
    return this.#handlers?.error ?? null
  }
  set onerror(handler: Handler<Event>) {
    this.#setHandler('error', handler)
  }

  /**
   * § 9.2.2 `close()`: "abort any instances of the fetch algorithm started for this EventSource
   * object, and set the readyState attribute to CLOSED." Also cancels a pending reconnection; no
   * event is dispatched after it.
   */
  close(): void {
    this.#readyState = CLOSED
    this.#stopConnecting()
    this.#options.signal?.removeEventListener('abort', this.#closeOnAbort!)
    this.#finishIterators(undefined)
  }

  /**
   * Extension: the source's message events, of every type, as an async iterator — the same
   * `MessageEvent`s listeners get, in order, from now on (none is replayed). Listeners and handlers
   * keep working beside it.
   *
   * - Leaving the loop (`break`, `return`, a throw in its body) closes the source.
   * - `close()` (or the `signal`) ends the loop once the events already waiting were taken.
   * - When the connection fails for good, the loop throws a {@link ConnectionFailureError} with the
   *   failure's `kind`, `status` and `message` (a stream the server ended and that was not to be
   *   resumed, `kind: 'end'`, just ends the loop). Reconnections are invisible to the loop.
   * - Backpressure: while `highWaterMark` events wait for the loop, the source reads no more of the
   *   response, so the server is held back (and a read timeout does not count that time).
   *
   * @example
   * for await (const event of source.events({ types: ['update'], highWaterMark: 16 })) {
   *   await save(JSON.parse(event.data)) // a slow consumer slows the stream down
   * }
   */
  events(options?: EventIteratorOptions): AsyncIterableIterator<MessageEvent> {
    this.#flow ??= new FlowControl()
    const iterator = new EventIterator(this.#flow, (leaving) => this.#leaveIteration(leaving), options)
    if (this.#readyState === CLOSED) iterator.finish()
    else {
      this.#iterators ??= new Set()
      this.#iterators.add(iterator)
    }
    return iterator
  }

  /** Extension: `for await (const event of source)`: every message event, see {@link EventSource.events}. */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageEvent> {
    return this.events()
  }

  /** A consumer left its loop: the source closes. */
  #leaveIteration(iterator: EventIterator): void {
    this.#iterators?.delete(iterator)
    this.close()
  }

  /** Ends every loop over the source's events, with the failure that closed it if one did. */
  #finishIterators(failure: ConnectionFailure | undefined): void {
    const iterators = this.#iterators
    this.#iterators = undefined
    for (const iterator of iterators ?? []) iterator.finish(failure)
  }

  /**
   * Extension: ends the current connection — or the attempt under way, or the wait before the
   * next one — and starts a new attempt at once, with the current last event ID and a fresh call
   * of the `headers` function. Nothing failed, so no `error` event is fired and the count of
   * failed attempts does not grow; `readyState` becomes `CONNECTING`, and `open` follows once the
   * new connection is announced. Events of the connection it ends that were not dispatched yet
   * are dropped (the server sends them again after the last event ID). Does nothing once the
   * source is `CLOSED`.
   *
   * @example
   * // the app learned that the token changed, or that the network is back
   * source.reconnect()
   */
  reconnect(): void {
    if (this.#readyState === CLOSED) return
    this.#stopConnecting()
    this.#readyState = CONNECTING
    this.#connect()
  }

  /** Aborts the attempt under way and ends the wait before the next one. */
  #stopConnecting(): void {
    const abortAttempt = this.#attempt
    this.#attempt = undefined
    this.#openedAt = undefined
    abortAttempt?.()
    this.#wait?.cancel()
  }

  /** Starts a connection attempt (constructor step 15, reestablish step 5). */
  #connect(): void {
    this.#attempt = connect(this.#options, this.#url, this.#lastEventId, this.#stream, this.#callbacks)
  }

  /** An attempt ended: what comes next is the source's choice (see #handleFailure). */
  #attemptEnded(attempt: AbortAttempt, failure: FailureDetails | undefined): void {
    // close() or reconnect() took this attempt away: it ends silently.
    if (this.#attempt !== attempt || failure === undefined) return
    this.#attempt = undefined
    this.#handleFailure(failure)
  }

  /** § 9.2.3 "announce the connection". */
  #announce(origin: string): void {
    // "If the readyState attribute is set to a value other than CLOSED, set the readyState
    // attribute to OPEN and fire an event named open at the EventSource object."
    if (this.#readyState === CLOSED) return
    this.#messageInit.origin = origin
    this.#openedAt = Date.now()
    this.#readyState = OPEN
    this.dispatchEvent(new Event('open'))
  }

  /** § 9.2.6 "dispatch the event", steps 2–9 (step 1, the last event ID, is #setLastEventId). */
  #dispatchMessage(message: EventSourceMessage): void {
    // Step 9: "Queue a task which, if the readyState attribute is set to a value other than
    // CLOSED, dispatches the newly created event at the EventSource object." A handler may have
    // closed the source while earlier events of the same chunk were dispatched, or called
    // reconnect(), which ends this connection (readyState CONNECTING): the rest is not dispatched.
    if (this.#readyState !== OPEN) return
    // Extension: an event shows the connection is healthy (see #failedAttempts).
    this.#failedAttempts = 0
    // Steps 4–8: a MessageEvent whose type is the event type buffer, or `message`; data with its
    // trailing LF removed (the parser joins data lines with LF); origin of the final URL; the
    // last event ID string of the event source. The init dictionary is read in the constructor,
    // so one per source serves every event.
    const init = this.#messageInit
    init.data = message.data
    init.lastEventId = this.#lastEventId
    const event = createMessageEvent(message.event || 'message', init)
    init.data = ''
    this.dispatchEvent(event)
    // Extension: async iterators get the event too.
    if (this.#iterators) for (const iterator of this.#iterators) iterator.push(event)
  }

  /** Extension: `onComment`, called for each comment line, in stream order with the events. */
  #reportComment(text: string): void {
    if (this.#readyState !== OPEN) return
    try {
      this.#options.onComment!(text)
    } catch (error) {
      // As an exception in an event listener: reported (uncaught, but later), and the stream goes on.
      queueMicrotask(() => {
        throw error
      })
    }
  }

  readonly #messageInit = { data: '', origin: '', lastEventId: '' }

  /**
   * § 9.2.6 "dispatch the event", step 1: "Set the last event ID string of the event source to
   * the value of the last event ID buffer." The parser reports the `id` of every block, data or
   * not; an empty `id:` resets it to the empty string.
   */
  #setLastEventId(id: string): void {
    // Not from the rest of a connection that close() or reconnect() ended (see #dispatchMessage).
    if (this.#readyState === OPEN) this.#lastEventId = id
  }

  /** § 9.2.6 `retry` field: "set the event stream's reconnection time to that integer." */
  #setReconnectionTime(ms: number): void {
    if (this.#readyState === OPEN) this.#reconnectionTime = ms
  }

  /** Closes the source when the `signal` option aborts (made only for a source with a signal). */
  #closeOnAbort: (() => void) | undefined

  /**
   * Decides between reestablishing and failing the connection: the spec's choice by default,
   * `shouldRetry`'s when given (extension).
   */
  #handleFailure(details: FailureDetails): void {
    if (this.#readyState === CLOSED) return
    const failure: ConnectionFailure = { ...details, attempt: this.#countFailedAttempt() }
    if (this.#retries(failure)) this.#reestablish(failure)
    else this.#failConnection(failure)
  }

  #retries(failure: ConnectionFailure): boolean {
    // Constructor step 15.2: "reestablish the connection, unless the user agent knows that to be
    // futile, in which case the user agent may fail the connection." A network error for a URL
    // fetch cannot speak (ftp:, mailto:, about:, …) will not go away by trying again.
    if (failure.kind === 'network' && !/^https?:/.test(this.#url)) return false
    try {
      return Boolean(this.#options.shouldRetry(failure))
    } catch {
      // A throwing `shouldRetry` cannot say "retry"; failing is the safe answer.
      return false
    }
  }

  /** § 9.2.3 "reestablish the connection". */
  #reestablish(failure: ConnectionFailure): void {
    const delay = this.#reconnectDelay(failure)
    // Step 2: "Queue a task to run the following steps: If the readyState attribute is set to
    // CLOSED, abort the task. Set the readyState attribute to CONNECTING. Fire an event named
    // error at the EventSource object."
    this.#readyState = CONNECTING
    this.dispatchEvent(new EventSourceErrorEvent(failure, delay))
    // An error handler may have closed the source, or called reconnect().
    if (this.#readyState !== CONNECTING || this.#attempt) return
    // Steps 3–4: "Wait a delay equal to the reconnection time of the event source. Optionally,
    // wait some more." (the backoff strategy, and network-aware waits: see ReconnectWait).
    this.#wait ??= new ReconnectWait(() => this.#reconnect(), this.#options.networkAware)
    this.#wait.start(delay, this.#reconnectionTime)
  }

  /** § 9.2.3 "reestablish the connection", step 5. */
  #reconnect(): void {
    // Step 5.1: "If the EventSource object's readyState attribute is not set to CONNECTING, then return."
    if (this.#readyState !== CONNECTING) return
    // Steps 5.2–5.4: fetch the original request again, with Last-Event-ID (see request.ts).
    this.#connect()
  }

  /** § 9.2.3 "fail the connection". */
  #failConnection(failure: ConnectionFailure): void {
    // "If the readyState attribute is set to a value other than CLOSED, then set the readyState
    // attribute to CLOSED and fire an event named error at the EventSource object. Once the user
    // agent has failed the connection, it does not attempt to reconnect."
    this.#finishIterators(failure)
    this.close()
    this.dispatchEvent(new EventSourceErrorEvent(failure, undefined))
  }

  /**
   * Extension: the wait before the next attempt. Never less than the reconnection time (the spec
   * allows waiting longer, never shorter); the backoff strategy's choice above it; a longer
   * `Retry-After` on a 429 or 503; at most what `setTimeout` accepts.
   */
  #reconnectDelay(failure: ConnectionFailure): number {
    const reconnectionTime = this.#reconnectionTime
    let delay = reconnectionTime
    try {
      const chosen = this.#options.backoff(failure.attempt, reconnectionTime)
      if (chosen > delay) delay = chosen
    } catch {
      // A throwing strategy leaves the spec's plain delay.
    }
    if (failure.status === 429 || failure.status === 503) {
      const asked = parseRetryAfter(failure.headers?.get('retry-after'))
      if (asked !== undefined && asked > delay) delay = asked
    }
    return Math.round(clampDelay(delay))
  }

  /**
   * Extension: counts this failure among the consecutive failed attempts. A connection that had
   * stayed open for `resetAfter` ms was healthy too (one that dispatched an event already set the
   * count back, see #dispatchMessage), so the count starts over.
   */
  #countFailedAttempt(): number {
    const healthy = this.#openedAt !== undefined && Date.now() - this.#openedAt >= this.#options.resetAfter
    this.#openedAt = undefined
    this.#failedAttempts = healthy ? 1 : this.#failedAttempts + 1
    return this.#failedAttempts
  }

  /**
   * An event handler IDL attribute (HTML § 8.1.8.1): the first non-null value registers one
   * listener, in order with the others; later values replace what it calls; null removes it.
   */
  #setHandler(type: HandlerType, value: Handler<Event>): void {
    const handler = typeof value === 'function' ? value : null
    this.#handlers ??= {}
    const handlers = this.#handlers
    const hadHandler = !!handlers[type]
    handlers[type] = handler
    // The one listener behind all three handler attributes calls the handler of the event's type.
    this.#callHandler ??= (event) => handlers[event.type as HandlerType]?.call(this, event)
    if (handler && !hadHandler) super.addEventListener(type, this.#callHandler)
    else if (!handler && hadHandler) super.removeEventListener(type, this.#callHandler)
  }

  /** The listener behind the handler attributes, made when the first handler is set. */
  #callHandler: ((event: Event) => void) | undefined
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Typed listener overloads, as lib.dom declares them for EventSource (declaration merging: types
 * only, the methods are EventTarget's).
 */
export interface EventSource {
  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, event: EventSourceEventMap[K]) => any,
    options?: ListenerOptions,
  ): void
  addEventListener(type: string, listener: (this: EventSource, event: MessageEvent) => any, options?: ListenerOptions): void
  addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, event: EventSourceEventMap[K]) => any,
    options?: ListenerOptions,
  ): void
  removeEventListener(type: string, listener: (this: EventSource, event: MessageEvent) => any, options?: ListenerOptions): void
  removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Defines the readyState constants on the interface object and on the prototype, as WebIDL
 * constants are (§ 3.7.5: read-only, enumerable data properties). Called from a static field
 * initializer marked pure, so bundlers can still drop the class when it is not used.
 */
function defineReadyStateConstants(target: typeof EventSource): true {
  const constants = {
    CONNECTING: { value: CONNECTING, enumerable: true },
    OPEN: { value: OPEN, enumerable: true },
    CLOSED: { value: CLOSED, enumerable: true },
  }
  Object.defineProperties(target, constants)
  Object.defineProperties(target.prototype, { ...constants, [Symbol.toStringTag]: { value: 'EventSource', configurable: true } })
  return true
}

/**
 * Encoding-parses `href` relative to the document's base URL where there is one (a browser page
 * or worker). In Node, Deno and Bun there is none, so the URL must be absolute.
 */
export function parseUrl(href: string): string {
  const scope = globalThis as { document?: { baseURI?: string }; location?: { href?: string } }
  const base = scope.document?.baseURI ?? scope.location?.href
  try {
    return new URL(href, base).href
  } catch {
    const hint = base === undefined ? ' (outside a browser the URL must be absolute)' : ''
    throw new DOMException(`EventSource: cannot parse URL ${JSON.stringify(href)}${BROWSER_SCRIPT ? '' : hint}`, 'SyntaxError')
  }
}
