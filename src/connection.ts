import { discardBody, readBody } from './body-reader'
import type { EventStream } from './event-stream'
import { contentTypeFailure, failure, httpFailure, networkFailure, type FailureDetails } from './failure'
import { isEventStreamContentType } from './mime'
import { buildRequestInit, type RequestTemplate } from './request'
import { unrefTimer } from './timers'
import type { EventSourceRequestInit, FetchLike, ResponseLike } from './types'

/** What one connection attempt needs from its source. */
export interface ConnectionParams {
  fetch: FetchLike
  url: string
  template: RequestTemplate
  lastEventId: string
  /** Extension: ms without a byte before the attempt is dropped; undefined for none. */
  readTimeout: number | undefined
  maxEventSize: number
  stream: EventStream
}

/**
 * One connection attempt: the fetch, the spec's checks of the response, and the reading of the
 * body into the source's event stream (HTML § 9.2.2, the EventSource constructor, step 15).
 * `run()` resolves with what ended the attempt — the source decides what comes next — or with
 * undefined when the source aborted it (close()).
 */
export class Connection {
  readonly #params: ConnectionParams
  readonly #controller = new AbortController()
  #readTimer: ReturnType<typeof setTimeout> | undefined
  #lastReadAt = 0
  #timedOut = false
  #bodyEnded = false

  constructor(params: ConnectionParams) {
    this.#params = params
  }

  /** Ends the attempt from the source's side; `run()` then resolves with undefined. */
  abort(): void {
    clearTimeout(this.#readTimer)
    this.#controller.abort()
  }

  /** Runs the attempt; `announce` is called once the response passed the spec's checks. */
  async run(announce: (origin: string) => void): Promise<FailureDetails | undefined> {
    try {
      return await this.#run(announce)
    } finally {
      clearTimeout(this.#readTimer)
      // Unless the body was read to its end, give the request up: with node-fetch, destroying
      // the body alone leaves the socket open; aborting the request releases it. (After a clean
      // end there is nothing to release, and an abort would only cost an error object.)
      if (!this.#bodyEnded) this.#controller.abort()
    }
  }

  async #run(announce: (origin: string) => void): Promise<FailureDetails | undefined> {
    const { fetch, url, template, lastEventId, stream } = this.#params
    const signal = this.#controller.signal
    this.#startReadTimeout()

    let init: EventSourceRequestInit
    try {
      init = await buildRequestInit(template, lastEventId, signal)
    } catch (error) {
      return signal.aborted ? this.#abortedOutcome(undefined) : networkFailure(error, undefined, 'the `headers` option failed')
    }
    if (signal.aborted) return this.#abortedOutcome(undefined)

    let response: ResponseLike
    try {
      response = await fetch(url, init)
    } catch (error) {
      if (signal.aborted) return this.#abortedOutcome(undefined)
      // processResponse step 2: "if res is a network error, then reestablish the connection".
      return networkFailure(error, undefined)
    }
    this.#lastReadAt = Date.now()
    if (!isResponse(response)) {
      discardBody((response as { body?: unknown } | null)?.body)
      return networkFailure(new TypeError('`fetch` resolved to something that is not a Response'), undefined)
    }

    if (signal.aborted) {
      discardBody(response.body)
      return this.#abortedOutcome(response)
    }
    // processResponse step 3: "if res's status is not 200, or if res's `Content-Type` is not
    // `text/event-stream`, then fail the connection." Either way the body is given up.
    if (response.status !== 200) {
      discardBody(response.body)
      return httpFailure(response)
    }
    if (!isEventStreamContentType(response.headers.get('content-type'))) {
      discardBody(response.body)
      return contentTypeFailure(response)
    }

    // processResponse step 4: "announce the connection and interpret res's body line by line."
    stream.reset()
    announce(originOf(response.url || url))
    if (signal.aborted) {
      discardBody(response.body)
      return this.#abortedOutcome(response)
    }

    let overflowed = false
    try {
      await readBody(response.body, (chunk) => {
        if (this.#params.readTimeout !== undefined) this.#lastReadAt = Date.now()
        if (!stream.feed(chunk)) {
          overflowed = true
          return false
        }
        // A handler may have closed the source while this chunk's events were dispatched.
        return !signal.aborted
      })
    } catch (error) {
      if (signal.aborted) return this.#abortedOutcome(response)
      return networkFailure(error, response)
    }
    if (signal.aborted) return this.#abortedOutcome(response)
    if (overflowed) {
      const bound = `an event or line grew past \`maxEventSize\` (${this.#params.maxEventSize} characters) without ending`
      return failure('event-size', bound, response)
    }
    // processEventSourceEndOfBody: "If res is not a network error, then reestablish the connection."
    this.#bodyEnded = true
    return failure('end', 'the server ended the stream', response)
  }

  /** Why an aborted attempt ended: a timeout failure if the read timeout did it, else undefined (the source did). */
  #abortedOutcome(response: ResponseLike | undefined): FailureDetails | undefined {
    if (!this.#timedOut) return undefined
    return failure('timeout', `read timeout after ${this.#params.readTimeout} ms`, response)
  }

  /**
   * Extension: drops the attempt once no byte has arrived for `readTimeout` ms. Rather than
   * re-arming a timer for every chunk, chunks record when they came and the timer, when it fires,
   * re-arms itself for the time that is left.
   */
  #startReadTimeout(): void {
    const { readTimeout } = this.#params
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

/** Whether a custom `fetch` gave something the source can read as a response. */
function isResponse(value: unknown): value is ResponseLike {
  const response = value as ResponseLike | null
  return (
    typeof response === 'object' &&
    response !== null &&
    typeof response.status === 'number' &&
    typeof response.headers?.get === 'function'
  )
}

/** The origin of the response's final URL, after redirects (for `MessageEvent.origin`). */
function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'null'
  }
}
