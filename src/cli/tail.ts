/**
 * One run of the command line: the library's own `EventSource` on the URL, its events printed as
 * they arrive, and the exit status decided from what happens. No connection logic of its
 * own: headers, body, resumption, backoff and read timeouts are the source's options.
 */
import { EventSource, EventSourceErrorEvent, type EventSourceInit } from '../index'
import type { RetryPolicy, TailOptions } from './args'
import { UsageError } from './args'
import { errorNotice, formatJson, formatPretty, openNotice, reconnectNotice, notice, type Paint } from './output'

/** Where a run prints: events on `out`, notices on `err`, each with its own colour decision. */
export interface TailOutput {
  /** Writes an event; a returned promise settles once the output can take more. */
  out: (text: string) => void | Promise<void>
  err: (text: string) => void
  paintOut: Paint
  paintErr: Paint
}

/** A run under way. */
export interface Tail {
  /** Settles with the exit status once the run has ended as asked or the connection has failed for good. */
  readonly exitStatus: Promise<number>
  /** Closes the source: the run ends with `status` (nothing is printed after the events already received). */
  stop(status: number): void
}

/** `--retry` as a `shouldRetry`: `spec` is the source's default policy. */
const RETRY_POLICIES: Record<RetryPolicy, EventSourceInit['shouldRetry']> = {
  spec: undefined,
  always: () => true,
  never: () => false,
}

/**
 * Opens the source and prints its events as a `for await` loop takes them, so a slow reader of
 * the output holds the stream back (the source stops reading while events wait); notices come
 * from the `open` and `error` listeners.
 * @throws UsageError when the source refuses an option (a header name fetch cannot send, a method
 *   fetch refuses, …): its message names the option.
 */
export function startTail(options: TailOptions, body: Blob | undefined, output: TailOutput): Tail {
  let source: EventSource
  try {
    source = new EventSource(options.url, sourceInit(options, body))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  /** The exit status, once something has decided it. */
  let decided: number | undefined
  // The id the source will resume from, as far as the events show it.
  let lastEventId = options.lastEventId ?? ''

  const stop = (status: number): void => {
    decided ??= status
    source.close()
  }

  source.addEventListener('open', (event) => {
    // A server may name its own events `open`; those are printed as events.
    if (!isMessage(event)) output.err(openNotice(source.url, output.paintErr))
  })

  source.addEventListener('error', (event) => {
    if (!(event instanceof EventSourceErrorEvent)) return
    output.err(errorNotice(event, output.paintErr))
    if (event.kind === 'end' && options.once) stop(0)
    else if (event.retryDelay === undefined) {
      output.err(notice('not reconnecting: the connection failed for good', 'bad', output.paintErr))
      stop(1)
    } else output.err(reconnectNotice(event.retryDelay, lastEventId, output.paintErr))
  })

  const print = async (): Promise<number> => {
    let printed = 0
    try {
      // Every type, so that the resume point is followed through the events not printed too.
      for await (const event of source) {
        lastEventId = event.lastEventId
        if (options.types !== undefined && !options.types.has(event.type)) continue
        const printedEvent = { type: event.type, data: String(event.data), id: event.lastEventId }
        await output.out(options.json ? formatJson(printedEvent, new Date()) : formatPretty(printedEvent, output.paintOut))
        // Leaving the loop closes the source.
        if (++printed === options.maxEvents) return 0
      }
    } catch (error) {
      // A connection that failed for good: the error listener has said why and decided the status.
      if (decided === undefined) throw error
    }
    return decided ?? 0
  }
  return { exitStatus: print(), stop }
}

function sourceInit(options: TailOptions, body: Blob | undefined): EventSourceInit {
  const init: EventSourceInit = { headers: options.headers }
  if (options.method !== undefined) init.method = options.method
  if (body !== undefined) init.body = body
  if (options.lastEventId !== undefined) init.lastEventId = options.lastEventId
  if (options.retryDelay !== undefined) init.retryDelay = options.retryDelay
  if (options.readTimeout !== undefined) init.readTimeout = options.readTimeout
  const shouldRetry = RETRY_POLICIES[options.retry]
  if (shouldRetry !== undefined) init.shouldRetry = shouldRetry
  return init
}

/** Message events carry `data` and `lastEventId`; `open` is a plain Event (a server may also send `event: open`). */
function isMessage(event: Event): event is MessageEvent {
  return 'lastEventId' in event && 'data' in event
}
