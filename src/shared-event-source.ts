import { EventSourceErrorEvent } from './error-event'
import { parseUrl, type EventSourceEventMap, type EventSourceShape } from './event-source'
import { readOption, resolveOptions } from './options'
import { invalid, show } from './invalid-input'
import { requestLeadership, sharingLocks, type Leadership } from './shared/leadership'
import {
  channelName,
  errorBroadcast,
  errorFromBroadcast,
  messageBroadcast,
  messageFromBroadcast,
  type Broadcast,
  type ErrorBroadcast,
} from './shared/protocol'
import { RelayingEventSource } from './shared/relaying-event-source'
import type { EventSourceInit } from './types'

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

/** Options of the `SharedEventSource` constructor: those of `EventSource`, and `shareKey`. */
export interface SharedEventSourceInit extends EventSourceInit {
  /**
   * Sources share a connection only when their absolute URL, `withCredentials` and `shareKey`
   * are all the same. Give sources that must not share (other credentials in `headers`, another
   * `body`) different keys.
   * @default ''
   * @example new SharedEventSource('/events', { shareKey: `user:${userId}` })
   */
  shareKey?: string
}

/**
 * The options the connection is opened with, each read once at construction. `signal` is left
 * out: it closes the SharedEventSource, which closes its connection. The `satisfies` makes a new
 * option of EventSourceInit a type error here until it is listed.
 */
const CONNECTION_OPTIONS = {
  withCredentials: true,
  headers: true,
  method: true,
  body: true,
  fetch: true,
  lastEventId: true,
  retryDelay: true,
  backoff: true,
  resetAfter: true,
  readTimeout: true,
  shouldRetry: true,
  signal: false,
  maxEventSize: true,
  networkAware: true,
  onComment: true,
} satisfies Record<keyof EventSourceInit, boolean>

/** addEventListener's options, declared here so that projects with only Node's types type-check. */
type ListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal }
type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown }
type Handler<E extends Event> = ((this: EventSourceShape, event: E) => unknown) | null
type HandlerType = 'open' | 'message' | 'error'

/**
 * An `EventSource` that shares one connection among every source with the same absolute URL,
 * `withCredentials` and `shareKey` in all the windows, tabs and workers of an origin. One of them,
 * the leader (elected with Web Locks), holds a real {@link EventSource} with its own options;
 * every other one receives the leader's events over a `BroadcastChannel`. Each source gets every
 * event once, in order, as a real `MessageEvent`; `readyState`, `open` and `error` follow the
 * shared connection. When the leader closes or its page goes away, another source takes over and
 * resumes from the last event ID it received.
 *
 * `close()` closes that source only; the connection ends when the last source with the key
 * closes. A connection that fails for good (an HTTP 401, say) closes every source with the key,
 * each with its {@link EventSourceErrorEvent}.
 *
 * Where Web Locks or BroadcastChannel is missing (Node before 24, Bun, older browsers), every
 * source behaves exactly as an `EventSource` with the same options, with its own connection.
 *
 * @example
 * const source = new SharedEventSource('/events', { headers: () => ({ Authorization: `Bearer ${token()}` }) })
 * source.addEventListener('update', (event) => render(JSON.parse(event.data)))
 */
export class SharedEventSource extends EventTarget {
  declare static readonly CONNECTING: 0
  declare static readonly OPEN: 1
  declare static readonly CLOSED: 2
  declare readonly CONNECTING: 0
  declare readonly OPEN: 1
  declare readonly CLOSED: 2
  static readonly #constantsDefined = /* @__PURE__ */ defineReadyStateConstants(this)

  readonly #url: string
  readonly #withCredentials: boolean
  /** The options this source's own connection is opened with, should it lead. */
  readonly #connectionOptions: EventSourceInit
  readonly #signal: AbortSignal | undefined
  #readyState: number = CONNECTING
  /** The last event ID this source received: where its connection resumes, should it take over. */
  #lastEventId: string
  /** The real connection, while this source leads (or always, where nothing can be shared). */
  #connection: RelayingEventSource | undefined
  #channel: BroadcastChannel | undefined
  #leadership: Leadership | undefined
  /** The token of the probe this source waits for before it connects, having taken the lead. */
  #probe: string | undefined
  readonly #handlers: Partial<Record<HandlerType, Handler<Event>>> = {}

  /**
   * @param url - the event stream's URL, resolved against the document's base URL in a browser.
   * @param eventSourceInitDict - the options of `EventSource` (used while this source leads), and
   *   `shareKey`.
   * @throws DOMException `SyntaxError` when `url` is not a valid URL; TypeError or RangeError,
   *   naming the option, when an option is invalid.
   */
  constructor(url: string | URL, eventSourceInitDict?: SharedEventSourceInit) {
    super()
    // Checked now, though the connection may be opened much later (when this source takes over).
    const resolved = resolveOptions(eventSourceInitDict)
    const shareKey = readShareKey(eventSourceInitDict)
    this.#url = parseUrl(String(url))
    this.#withCredentials = resolved.withCredentials
    this.#lastEventId = resolved.lastEventId
    this.#signal = resolved.signal
    this.#connectionOptions = connectionOptions(eventSourceInitDict)
    if (this.#signal?.aborted) {
      this.#readyState = CLOSED
      return
    }
    this.#signal?.addEventListener('abort', this.#closeOnAbort)
    const locks = sharingLocks()
    if (locks) this.#join(locks, channelName(this.#url, this.#withCredentials, shareKey))
    else this.#connect()
  }

  /** The URL of the event stream, resolved. */
  get url(): string {
    return this.#url
  }

  /** Whether cross-origin requests carry credentials. */
  get withCredentials(): boolean {
    return this.#withCredentials
  }

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2): the shared connection's, until this source closes. */
  get readyState(): number {
    return this.#readyState
  }

  /** Receives the `open` event, in order with the listeners added before it was first set. */
  get onopen(): Handler<Event> {
    return this.#handlers.open ?? null
  }
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler)
  }

  /** Receives `message` events (events without an `event:` field, or with `event: message`). */
  get onmessage(): Handler<MessageEvent> {
    return (this.#handlers.message ?? null) as Handler<MessageEvent>
  }
  set onmessage(handler: Handler<MessageEvent>) {
    this.#setHandler('message', handler as Handler<Event>)
  }

  /** Receives every `error` event: an {@link EventSourceErrorEvent}. */
  get onerror(): Handler<Event> {
    return this.#handlers.error ?? null
  }
  set onerror(handler: Handler<Event>) {
    this.#setHandler('error', handler)
  }

  /**
   * Closes this source: no event is dispatched at it afterwards, and it holds no lock and no
   * channel. If it was leading, its connection ends and another source with the key takes over;
   * the last one to close ends the shared connection.
   */
  close(): void {
    this.#readyState = CLOSED
    this.#leave()
  }

  /** Joins the sources of `name`: listens to the channel, asks for the state, queues for the lock. */
  #join(locks: LockManager, name: string): void {
    const channel = new BroadcastChannel(name)
    channel.onmessage = this.#receive
    this.#channel = channel
    this.#post({ kind: 'hello' })
    this.#leadership = requestLeadership(locks, name, () => this.#takeLead(name))
  }

  /**
   * On being granted the lock, first takes in everything the previous leader posted before it let
   * go — its last events, a failure for good — and only then connects: a probe posted from a
   * second channel object comes back to this source's channel after every message the browser
   * had before it. So the new connection resumes from the very last event ID, and a failure for
   * good closes this source instead of letting it connect again.
   */
  #takeLead(name: string): void {
    const token = `${Date.now()}-${Math.random()}`
    this.#probe = token
    const probe = new BroadcastChannel(name)
    probe.postMessage({ kind: 'probe', token } satisfies Broadcast)
    probe.close()
  }

  /**
   * Opens the real connection: at construction where nothing can be shared, on taking the lead
   * otherwise, resuming from the last event ID this source received.
   */
  readonly #connect = (): void => {
    if (this.#readyState === CLOSED) return
    const options = { ...this.#connectionOptions, lastEventId: this.#lastEventId }
    this.#connection = new RelayingEventSource(this.#url, options, this.#relay)
  }

  /** Gives up the connection, the lock, the channel and the signal's listener. */
  #leave(): void {
    const connection = this.#connection
    this.#connection = undefined
    connection?.close()
    this.#leadership?.release()
    this.#leadership = undefined
    this.#probe = undefined
    this.#channel?.close()
    this.#channel = undefined
    this.#signal?.removeEventListener('abort', this.#closeOnAbort)
  }

  readonly #closeOnAbort = (): void => {
    this.close()
  }

  /**
   * Every event of this source's own connection: posted to the other sources first (a handler
   * here may close this source), then dispatched here.
   */
  readonly #relay = (event: Event): boolean => {
    if (event.type === 'open') {
      this.#post({ kind: 'open' })
      this.#announce()
      return true
    }
    if (event instanceof EventSourceErrorEvent) {
      const readyState = this.#connection?.readyState ?? CLOSED
      this.#post(errorBroadcast(event, readyState))
      return this.#dispatchError(event, readyState)
    }
    const message = event as MessageEvent
    this.#post(messageBroadcast(message))
    return this.#dispatchMessage(message)
  }

  /** What the leader posts, the other sources' `hello`, and this source's own probe. */
  readonly #receive = ({ data: message }: MessageEvent<Broadcast | null>): void => {
    // Anything but our messages (someone else's on a channel of this name) is ignored.
    if (this.#readyState === CLOSED || typeof message !== 'object' || message === null) return
    const leading = this.#connection !== undefined
    switch (message.kind) {
      case 'probe':
        if (message.token !== this.#probe) return
        this.#probe = undefined
        this.#connect()
        return
      case 'hello':
        if (leading) this.#post({ kind: 'state', readyState: this.#readyState })
        return
      case 'state':
        if (!leading && message.readyState === OPEN) this.#announce()
        return
      case 'open':
        if (!leading) this.#announce()
        return
      case 'message':
        // A leader ignores what a previous leader posted late: its own connection resumed from
        // its own last event ID and brings those events again.
        if (leading) return
        // A source that joined while the connection was open may see a message before the state.
        this.#announce()
        this.#dispatchMessage(messageFromBroadcast(message))
        return
      case 'error':
        this.#receiveError(message, leading)
    }
  }

  #receiveError(message: ErrorBroadcast, leading: boolean): void {
    // A failure for good closes every source with the key, a new leader's included; a leader's
    // own connection decides about its own reconnections.
    if (leading && message.readyState !== CLOSED) return
    this.#dispatchError(errorFromBroadcast(message), message.readyState)
  }

  /**
   * The connection is open: HTML § 9.2.3 "announce the connection" — set readyState to OPEN and
   * fire `open`. Once per opening: a takeover by another leader is not a new opening.
   */
  #announce(): void {
    if (this.#readyState !== CONNECTING) return
    this.#readyState = OPEN
    this.dispatchEvent(new Event('open'))
  }

  #dispatchMessage(event: MessageEvent): boolean {
    // As the EventSource's "dispatch the event" step 9: nothing after close().
    if (this.#readyState === CLOSED) return true
    this.#lastEventId = event.lastEventId
    return this.dispatchEvent(event)
  }

  /**
   * An error of the shared connection: CONNECTING while it reconnects; CLOSED when it failed for
   * good, which closes this source too (§ 9.2.3 "fail the connection").
   */
  #dispatchError(event: EventSourceErrorEvent, readyState: number): boolean {
    if (this.#readyState === CLOSED) return true
    this.#readyState = readyState
    if (readyState === CLOSED) this.#leave()
    return this.dispatchEvent(event)
  }

  #post(message: Broadcast): void {
    this.#channel?.postMessage(message)
  }

  /**
   * An event handler IDL attribute (HTML § 8.1.8.1): the first non-null value registers one
   * listener, in order with the others; later values replace what it calls; null removes it.
   */
  #setHandler(type: HandlerType, value: Handler<Event>): void {
    const handler = typeof value === 'function' ? value : null
    const hadHandler = !!this.#handlers[type]
    this.#handlers[type] = handler
    if (handler && !hadHandler) super.addEventListener(type, this.#callHandler)
    else if (!handler && hadHandler) super.removeEventListener(type, this.#callHandler)
  }

  readonly #callHandler = (event: Event): void => {
    this.#handlers[event.type as HandlerType]?.call(this, event)
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Typed listener overloads, as for EventSource (declaration merging: types only). */
export interface SharedEventSource {
  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: SharedEventSource, event: EventSourceEventMap[K]) => any,
    options?: ListenerOptions,
  ): void
  addEventListener(type: string, listener: (this: SharedEventSource, event: MessageEvent) => any, options?: ListenerOptions): void
  addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: SharedEventSource, event: EventSourceEventMap[K]) => any,
    options?: ListenerOptions,
  ): void
  removeEventListener(type: string, listener: (this: SharedEventSource, event: MessageEvent) => any, options?: ListenerOptions): void
  removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function readShareKey(init: SharedEventSourceInit | null | undefined): string {
  let value: unknown
  try {
    value = init?.shareKey
  } catch (error) {
    throw new TypeError(`SharedEventSource: reading option \`shareKey\` threw: ${show(error)}`, { cause: error })
  }
  if (value === undefined) return ''
  if (typeof value !== 'string') invalid('shareKey', 'a string', value, TypeError, 'SharedEventSource')
  return value
}

/** The connection's options, read once (as the EventSource constructor reads them). */
function connectionOptions(init: EventSourceInit | null | undefined): EventSourceInit {
  const options: Record<string, unknown> = {}
  for (const [name, passed] of Object.entries(CONNECTION_OPTIONS) as [keyof EventSourceInit, boolean][]) {
    const value = passed ? readOption(init, name) : undefined
    if (value !== undefined) options[name] = value
  }
  return options as EventSourceInit
}

/** The readyState constants on the class and its prototype, as for EventSource (WebIDL § 3.7.5). */
function defineReadyStateConstants(target: typeof SharedEventSource): true {
  const constants = {
    CONNECTING: { value: CONNECTING, enumerable: true },
    OPEN: { value: OPEN, enumerable: true },
    CLOSED: { value: CLOSED, enumerable: true },
  }
  Object.defineProperties(target, constants)
  Object.defineProperties(target.prototype, { ...constants, [Symbol.toStringTag]: { value: 'SharedEventSource', configurable: true } })
  return true
}
