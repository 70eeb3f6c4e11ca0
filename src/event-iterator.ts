import { DEFAULT_HIGH_WATER_MARK } from './defaults'
import type { FlowControl } from './flow-control'
import { checkNumber, invalid } from './invalid-input'
import type { ConnectionFailure } from './types'

const API = 'EventSource.events'

/** Options of `source.events()`. */
export interface EventIteratorOptions {
  /**
   * The event types to yield (`'message'`, and the server's `event:` names); others are skipped.
   * @default every type
   */
  types?: readonly string[]
  /**
   * How many events may wait for the consumer. Once that many wait, the source stops reading the
   * response body until the consumer catches up, so the server is held back by TCP flow control
   * and memory stays bounded (plus the events of the one network read under way).
   * @default 64
   */
  highWaterMark?: number
}

/**
 * What a `for await` loop over a source throws when the connection fails for good: an `Error`
 * whose `message` is the failure's, with its `kind`, `status`, `headers`, `attempt` and `cause`.
 */
export type ConnectionFailureError = Error & ConnectionFailure

/**
 * Extension: the async iterator of a source's message events (`for await (const event of
 * source)`, `source.events(options)`). The source pushes every message event it dispatches, in
 * order; the consumer pulls them. A full queue holds the source's flow (see FlowControl).
 */
export class EventIterator implements AsyncIterableIterator<MessageEvent> {
  readonly #types: ReadonlySet<string> | undefined
  readonly #highWaterMark: number
  readonly #flow: FlowControl
  /** Called when the consumer leaves the loop: the source forgets the iterator and closes. */
  readonly #onLeave: (iterator: EventIterator) => void
  /** Events waiting for the consumer (at most `highWaterMark` plus one network read's). */
  #queue: MessageEvent[] = []
  #holding = false
  /** Whether the source closed (the loop ends once the queue is empty). */
  #finished = false
  /** The failure that closed the source, thrown once the queue is empty. */
  #failure: ConnectionFailureError | undefined
  /** A `next()` waiting for an event. */
  #wake: ((result: Promise<IteratorResult<MessageEvent>>) => void) | undefined

  constructor(flow: FlowControl, onLeave: (iterator: EventIterator) => void, options: EventIteratorOptions | undefined) {
    this.#flow = flow
    this.#onLeave = onLeave
    this.#types = checkTypes(options?.types)
    this.#highWaterMark = checkHighWaterMark(options?.highWaterMark)
  }

  /** The source dispatched `event`. */
  push(event: MessageEvent): void {
    if (this.#finished || (this.#types && !this.#types.has(event.type))) return
    if (this.#wake) this.#resolve(Promise.resolve({ value: event, done: false }))
    // Hold the flow while the queue is full (see #hold).
    else this.#hold(this.#queue.push(event) >= this.#highWaterMark)
  }

  /**
   * The source closed: the consumer still gets the events that wait, then the loop ends — or
   * throws, when the connection failed for good. A server that ended a stream it was not asked to
   * resume (`shouldRetry` said no to kind `'end'`) finished it: that loop ends without throwing.
   */
  finish(failure?: ConnectionFailure): void {
    if (this.#finished) return
    this.#finished = true
    if (failure && failure.kind !== 'end') this.#failure = toError(failure)
    this.#hold(false)
    if (this.#wake) this.#resolve(this.#settle())
  }

  next(): Promise<IteratorResult<MessageEvent>> {
    const event = this.#queue.shift()
    if (event) {
      this.#hold(this.#queue.length >= this.#highWaterMark)
      return Promise.resolve({ value: event, done: false })
    }
    return this.#finished ? this.#settle() : new Promise((resolve) => (this.#wake = resolve))
  }

  /** `break`, `return` or a throw in the loop's body: the source closes. */
  return(): Promise<IteratorResult<MessageEvent>> {
    const leaving = !this.#finished
    this.#finished = true
    this.#failure = undefined
    this.#queue = []
    this.#hold(false)
    if (this.#wake) this.#resolve(DONE)
    if (leaving) this.#onLeave(this)
    return DONE
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #resolve(result: Promise<IteratorResult<MessageEvent>>): void {
    const wake = this.#wake!
    this.#wake = undefined
    wake(result)
  }

  /** The end of a finished loop: a failure is thrown once, then the iterator is done. */
  #settle(): Promise<IteratorResult<MessageEvent>> {
    const failure = this.#failure
    this.#failure = undefined
    return failure ? Promise.reject(failure) : DONE
  }

  /** Holds the source's flow while `full`, releases it once not (each iterator holds it once at most). */
  #hold(full: boolean): void {
    if (full === this.#holding) return
    this.#holding = full
    if (full) this.#flow.hold()
    else this.#flow.release()
  }
}

const DONE: Promise<IteratorResult<MessageEvent>> = /* @__PURE__ */ Promise.resolve({ value: undefined, done: true })

function toError(failure: ConnectionFailure): ConnectionFailureError {
  const { message, cause, ...details } = failure
  return Object.assign(new Error(message, { cause }), details, { name: 'EventSourceError' }) as ConnectionFailureError
}

function checkTypes(value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((type) => typeof type === 'string')) {
    invalid('types', 'an array of event type strings', value, TypeError, API)
  }
  return new Set(value)
}

function checkHighWaterMark(value: unknown): number {
  const count = checkNumber('highWaterMark', value, 1, undefined, API)
  if (count !== undefined && !Number.isInteger(count)) invalid('highWaterMark', 'an integer >= 1', value, RangeError, API)
  return count ?? DEFAULT_HIGH_WATER_MARK
}
