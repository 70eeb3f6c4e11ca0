import { discardBody, openBody, type BodyReader } from './body-reader'
import type { EventStream } from './event-stream'
import { contentTypeFailure, failure as failureDetails, httpFailure, networkFailure, type FailureDetails } from './failure'
import type { FlowControl } from './flow-control'
import { isEventStreamContentType } from './mime'
import type { ResolvedOptions } from './options'
import { buildRequestInit } from './request'
import { unrefTimer } from './timers'
import type { ResponseLike } from './types'

/** Ends a connection attempt from the source's side (close(), reconnect()). */
export type AbortAttempt = () => void

/** What an attempt tells its source. */
export interface AttemptCallbacks {
  /** The response passed the spec's checks (§ 9.2.3 "announce the connection"): its origin. */
  announce(origin: string): void
  /**
   * Called once when an attempt ends, with what ended it — the source decides what comes next —
   * or with undefined when the source aborted it.
   */
  ended(attempt: AbortAttempt, failure: FailureDetails | undefined): void
  /**
   * Extension: the source's consumers (async iterators), once it has any: while they hold the flow,
   * no more of the body is read.
   */
  readonly flow: FlowControl | undefined
}

/**
 * Starts one connection attempt: the fetch, the spec's checks of the response, and the reading of
 * the body into the source's event stream (HTML § 9.2.2, the EventSource constructor, step 15).
 * `source.announce` is called once the response passed the spec's checks, `source.ended` once
 * the attempt is over. Whatever ends the attempt, an attempt stopped early gives its request and
 * body up.
 *
 * An open connection waits in one suspended function (`run`) and nothing else, since every idle
 * source pays for what its connection keeps.
 *
 * @param lastEventId - the source's last event ID string when the attempt starts.
 * @param stream - the source's event stream, which the body is fed into.
 * @returns the function that aborts the attempt (it identifies the attempt in `source.ended`).
 */
export function connect(
  options: ResolvedOptions,
  url: string,
  lastEventId: string,
  stream: EventStream,
  source: AttemptCallbacks,
): AbortAttempt {
  const { fetch, readTimeout } = options
  const controller = new AbortController()
  const signal = controller.signal
  let readTimer: ReturnType<typeof setTimeout> | undefined
  let lastReadAt = Date.now()
  let timedOut = false

  let failing = 'the `headers` option failed'
  const abort: AbortAttempt = () => {
    clearTimeout(readTimer)
    controller.abort()
  }
  // The attempt tells the source how it ended itself, rather than through callbacks on its promise:
  // a waiting connection keeps no more than this one suspended function.
  const run = async (): Promise<void> => {
    // Starts a microtask later, once the source holds this attempt: a `headers` function that
    // closes the source must find it there to abort.
    await undefined
    let fetched: unknown
    let response: ResponseLike | undefined
    let reader: BodyReader | undefined
    let bodyEnded = false
    let failure: FailureDetails | undefined
    if (readTimeout !== undefined) {
      /**
       * Extension: drops the attempt once no byte has arrived for `readTimeout` ms. Rather than
       * re-arming a timer for every chunk, chunks record when they came and the timer, when it
       * fires, re-arms itself for the time that is left. While consumers hold the flow, nothing is
       * read on purpose: that time does not count. (Made only for a source with a read timeout.)
       */
      const checkReadTimeout = (): void => {
        if (source.flow?.paused) lastReadAt = Date.now()
        const left = lastReadAt + readTimeout - Date.now()
        if (left > 0) readTimer = unrefTimer(setTimeout(checkReadTimeout, left))
        else {
          timedOut = true
          controller.abort()
        }
      }
      readTimer = unrefTimer(setTimeout(checkReadTimeout, readTimeout))
    }
    try {
      // A source closed before the attempt started calls no `headers` function and sends nothing.
      signal.throwIfAborted()
      // The request init is not kept in a variable: this function waits as long as the stream
      // lasts, and all it would hold is memory every idle connection pays for.
      fetched = await buildRequestInit(options.template, lastEventId, signal).then((init) => {
        // Not sent when the source was closed while the `headers` function ran.
        signal.throwIfAborted()
        failing = 'network error'
        // processResponse step 2: "if res is a network error, then reestablish the connection"
        // (the catch below).
        return fetch(url, init)
      })
      lastReadAt = Date.now()
      response = checkResponse(fetched)
      signal.throwIfAborted()
      // processResponse step 3: "if res's status is not 200, or if res's `Content-Type` is not
      // `text/event-stream`, then fail the connection." Either way the body is given up (finally).
      if (response.status !== 200) {
        failure = httpFailure(response)
        return
      }
      if (!isEventStreamContentType(response.headers.get('content-type'))) {
        failure = contentTypeFailure(response)
        return
      }
      // processResponse step 4: "announce the connection and interpret res's body line by line."
      stream.reset()
      source.announce(originOf(response.url || url))
      signal.throwIfAborted()
      // Feeds the body into the event stream until it ends, the source closes, or an event or a
      // line outgrows `maxEventSize`.
      reader = openBody(response.body)
      for (;;) {
        const chunk = reader && (await reader.read())
        if (!chunk || chunk.done) break
        // Nothing of a connection that the source ended (close(), reconnect()) is interpreted.
        signal.throwIfAborted()
        if (readTimeout !== undefined) lastReadAt = Date.now()
        if (!stream.feed(chunk.value!)) {
          failure = failureDetails(
            'event-size',
            `an event or line grew past \`maxEventSize\` (${options.maxEventSize} characters)`,
            response,
          )
          return
        }
        // A handler may have closed the source while this chunk's events were dispatched.
        signal.throwIfAborted()
        // Extension: backpressure. Consumers that fell behind hold the flow: read on once they
        // caught up (no extra tick per chunk otherwise).
        const flowing = source.flow?.whenFlowing()
        if (flowing) {
          await untilFlowing(flowing, signal)
          signal.throwIfAborted()
          lastReadAt = Date.now()
        }
      }
      // processEventSourceEndOfBody: "If res is not a network error, then reestablish the connection."
      bodyEnded = true
      failure = failureDetails('end', 'the server ended the stream', response)
    } catch (error) {
      if (!signal.aborted) failure = networkFailure(error, response, failing)
      // Aborted: by the read timeout (a failure), else by the source (nothing to report).
      else if (timedOut) failure = failureDetails('timeout', `read timeout after ${readTimeout} ms`, response)
    } finally {
      clearTimeout(readTimer)
      // Unless the body was read to its end, give the request up: with node-fetch, destroying
      // the body alone leaves the socket open; aborting the request releases it; a custom fetch
      // that ignores the signal still gets its body cancelled. (After a clean end there is
      // nothing to release, and an abort would only cost an error object.)
      if (!bodyEnded) {
        controller.abort()
        try {
          discardBody((fetched as { body?: unknown } | null)?.body, reader)
        } catch (error) {
          // Only a misbehaving `fetch` (a body whose cancel() throws, …) gets here.
          failure ??= networkFailure(error)
        }
      }
      source.ended(abort, failure)
    }
  }
  run()
  return abort
}

/** Resolves once the flow resumes, or at once when the attempt is aborted. */
function untilFlowing(flowing: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    signal.addEventListener('abort', stop, { once: true })
    flowing.then(() => {
      signal.removeEventListener('abort', stop)
      resolve()
    })
  })
}

/** What a custom `fetch` resolved to, if the source can read it as a response. */
function checkResponse(value: unknown): ResponseLike {
  const response = value as ResponseLike | undefined
  if (typeof response?.status !== 'number' || typeof response.headers?.get !== 'function') {
    throw new TypeError('`fetch` resolved to something that is not a Response')
  }
  return response
}

/** The origin of the response's final URL, after redirects (for `MessageEvent.origin`). */
function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'null'
  }
}
