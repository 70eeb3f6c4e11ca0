import { discardBody, readBody } from './body-reader'
import type { EventStream } from './event-stream'
import { contentTypeFailure, failure, httpFailure, networkFailure, type FailureDetails } from './failure'
import { isEventStreamContentType } from './mime'
import type { ResolvedOptions } from './options'
import { buildRequestInit } from './request'
import { unrefTimer } from './timers'
import type { ResponseLike } from './types'

/**
 * One connection attempt: the fetch, the spec's checks of the response, and the reading of the
 * body into the source's event stream (HTML § 9.2.2, the EventSource constructor, step 15).
 * `run()` resolves with what ended the attempt — the source decides what comes next — or with
 * undefined when the source aborted it (close()).
 */
export class Connection {
  readonly #controller = new AbortController()
  #readTimer: ReturnType<typeof setTimeout> | undefined
  #lastReadAt = 0
  #timedOut = false
  #bodyEnded = false

  /**
   * @param lastEventId - the source's last event ID string when the attempt starts.
   * @param stream - the source's event stream, which the body is fed into.
   */
  constructor(
    readonly options: ResolvedOptions,
    readonly url: string,
    readonly lastEventId: string,
    readonly stream: EventStream,
  ) {}

  /** Ends the attempt from the source's side; `run()` then resolves with undefined. */
  abort(): void {
    clearTimeout(this.#readTimer)
    this.#controller.abort()
  }

  /**
   * Runs the attempt; `announce` is called once the response passed the spec's checks. Whatever
   * ends it, an attempt stopped early gives its request and body up.
   */
  async run(announce: (origin: string) => void): Promise<FailureDetails | undefined> {
    const signal = this.#controller.signal
    let fetched: unknown
    let response: ResponseLike | undefined
    let failing = 'the `headers` option failed'
    this.#startReadTimeout()
    try {
      const init = await buildRequestInit(this.options.template, this.lastEventId, signal)
      signal.throwIfAborted()
      failing = 'network error'
      // processResponse step 2: "if res is a network error, then reestablish the connection"
      // (the catch below).
      fetched = await this.options.fetch(this.url, init)
      this.#lastReadAt = Date.now()
      response = checkResponse(fetched)
      signal.throwIfAborted()
      // processResponse step 3: "if res's status is not 200, or if res's `Content-Type` is not
      // `text/event-stream`, then fail the connection." Either way the body is given up (finally).
      if (response.status !== 200) return httpFailure(response)
      if (!isEventStreamContentType(response.headers.get('content-type'))) return contentTypeFailure(response)
      // processResponse step 4: "announce the connection and interpret res's body line by line."
      this.stream.reset()
      announce(originOf(response.url || this.url))
      signal.throwIfAborted()
      const overflowed = await this.#readEvents(response.body, signal)
      if (overflowed) {
        const bound = this.options.maxEventSize
        return failure('event-size', `an event or line grew past \`maxEventSize\` (${bound} characters)`, response)
      }
      // processEventSourceEndOfBody: "If res is not a network error, then reestablish the connection."
      this.#bodyEnded = true
      return failure('end', 'the server ended the stream', response)
    } catch (error) {
      if (!signal.aborted) return networkFailure(error, response, failing)
      // Aborted: by the read timeout (a failure), else by the source (nothing to report).
      if (this.#timedOut) return failure('timeout', `read timeout after ${this.options.readTimeout} ms`, response)
      return undefined
    } finally {
      clearTimeout(this.#readTimer)
      // Unless the body was read to its end, give the request up: with node-fetch, destroying
      // the body alone leaves the socket open; aborting the request releases it; a custom fetch
      // that ignores the signal still gets its body cancelled. (After a clean end there is
      // nothing to release, and an abort would only cost an error object.)
      if (!this.#bodyEnded) {
        this.#controller.abort()
        discardBody((fetched as { body?: unknown } | null)?.body)
      }
    }
  }

  /**
   * Feeds the body into the event stream until it ends. Resolves with whether an event or line
   * outgrew `maxEventSize` (the stream is then abandoned); throws when aborted or when the body
   * fails.
   */
  async #readEvents(body: unknown, signal: AbortSignal): Promise<boolean> {
    let overflowed = false
    await readBody(body, (chunk) => {
      if (this.options.readTimeout !== undefined) this.#lastReadAt = Date.now()
      overflowed = !this.stream.feed(chunk)
      // A handler may have closed the source while this chunk's events were dispatched.
      return !overflowed && !signal.aborted
    })
    signal.throwIfAborted()
    return overflowed
  }

  /**
   * Extension: drops the attempt once no byte has arrived for `readTimeout` ms. Rather than
   * re-arming a timer for every chunk, chunks record when they came and the timer, when it fires,
   * re-arms itself for the time that is left.
   */
  #startReadTimeout(): void {
    const { readTimeout } = this.options
    if (readTimeout === undefined) return
    this.#lastReadAt = Date.now()
    const check = (): void => {
      const left = this.#lastReadAt + readTimeout - Date.now()
      if (left > 0) {
        this.#readTimer = unrefTimer(setTimeout(check, left))
        return
      }
      this.#timedOut = true
      this.#controller.abort()
    }
    this.#readTimer = unrefTimer(setTimeout(check, readTimeout))
  }
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
