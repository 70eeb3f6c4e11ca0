/**
 * One run of the command line: the library's own `EventSource` on the URL, its events printed as
 * they are dispatched, and the exit status decided from what happens. No connection logic of its
 * own: headers, body, resumption, backoff and read timeouts are the source's options.
 */
import { EventSource, EventSourceErrorEvent, type ConnectionFailure, type EventSourceInit } from '../index'
import type { RetryPolicy, TailOptions } from './args'
import { UsageError } from './args'
import { errorNotice, formatJson, formatPretty, openNotice, reconnectNotice, notice, type Paint } from './output'

/** Where a run prints: events on `out`, notices on `err`, each with its own colour decision. */
export interface TailOutput {
  out: (text: string) => void
  err: (text: string) => void
  paintOut: Paint
  paintErr: Paint
}

/** A run under way. */
export interface Tail {
  /** Settles with the exit status once the run has ended as asked or the connection has failed for good. */
  readonly exitStatus: Promise<number>
  /** Closes the source (nothing is printed after it) and settles `exitStatus` with `status`. */
  stop(status: number): void
}

/**
 * An EventSource that shows every event it dispatches to `observe` first: open, every message
 * whatever its type (the server chooses the types, so there is no list to listen to), and error.
 * Overriding `dispatchEvent` is EventTarget's own extension point; the source's behaviour is untouched.
 */
class ObservedEventSource extends EventSource {
  readonly #observe: (event: Event) => void

  constructor(url: string, init: EventSourceInit, observe: (event: Event) => void) {
    super(url, init)
    this.#observe = observe
  }

  override dispatchEvent(event: Event): boolean {
    this.#observe(event)
    return super.dispatchEvent(event)
  }
}

/** `--retry` as a `shouldRetry`: `spec` is the source's default policy. */
const RETRY_POLICIES: Record<RetryPolicy, EventSourceInit['shouldRetry']> = {
  spec: undefined,
  always: () => true,
  never: () => false,
}

/**
 * Opens the source and prints what it dispatches.
 * @throws UsageError when the source refuses an option (a header name fetch cannot send, a method
 *   that cannot carry a body, …): its message names the option.
 */
export function startTail(options: TailOptions, body: Blob | undefined, output: TailOutput): Tail {
  let settle!: (status: number) => void
  const exitStatus = new Promise<number>((resolve) => (settle = resolve))
  let source: EventSource | undefined
  let printed = 0
  // The id the source will resume from, as far as the events show it.
  let lastEventId = options.lastEventId ?? ''

  const stop = (status: number): void => {
    source?.close()
    settle(status)
  }

  const onMessage = (event: MessageEvent): void => {
    lastEventId = event.lastEventId
    if (options.types !== undefined && !options.types.has(event.type)) return
    const printedEvent = { type: event.type, data: String(event.data), id: event.lastEventId }
    output.out(options.json ? formatJson(printedEvent, new Date()) : formatPretty(printedEvent, output.paintOut))
    printed++
    if (options.maxEvents !== undefined && printed >= options.maxEvents) stop(0)
  }

  const onError = (event: EventSourceErrorEvent): void => {
    output.err(errorNotice(event, output.paintErr))
    if (event.kind === 'end' && options.once) stop(0)
    else if (event.retryDelay === undefined) {
      output.err(notice('not reconnecting: the connection failed for good', 'bad', output.paintErr))
      stop(1)
    } else output.err(reconnectNotice(event.retryDelay, lastEventId, output.paintErr))
  }

  const observe = (event: Event): void => {
    if (event instanceof EventSourceErrorEvent) onError(event)
    else if (isMessage(event)) onMessage(event)
    else if (event.type === 'open') output.err(openNotice(source?.url ?? options.url, output.paintErr))
  }

  try {
    source = new ObservedEventSource(options.url, sourceInit(options, body), observe)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  return { exitStatus, stop }
}

function sourceInit(options: TailOptions, body: Blob | undefined): EventSourceInit {
  const init: EventSourceInit = { headers: options.headers }
  if (options.method !== undefined) init.method = options.method
  if (body !== undefined) init.body = body
  if (options.lastEventId !== undefined) init.lastEventId = options.lastEventId
  if (options.retryDelay !== undefined) init.retryDelay = options.retryDelay
  if (options.readTimeout !== undefined) init.readTimeout = options.readTimeout
  const shouldRetry: ((failure: ConnectionFailure) => boolean) | undefined = RETRY_POLICIES[options.retry]
  if (shouldRetry !== undefined) init.shouldRetry = shouldRetry
  return init
}

/** Message events carry `data` and `lastEventId`; `open` is a plain Event (a server may also send `event: open`). */
function isMessage(event: Event): event is MessageEvent {
  return 'lastEventId' in event && 'data' in event
}
