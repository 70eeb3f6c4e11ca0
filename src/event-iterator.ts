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
  /** Events waiting for the consumer: `#queue[#head …]`. */
  #queue: MessageEvent[] = []
  #head = 0
  #holding = false
  #finished = false
  #failure: ConnectionFailureError | undefined
  /** A `next()` waiting for an event. */
  #pending: { resolve(result: IteratorResult<MessageEvent>): void; reject(error: unknown): void } | undefined

  constructor(flow: FlowControl, onLeave: (iterator: EventIterator) => void, options: EventIteratorOptions | undefined) {
    this.#flow = flow
    this.#onLeave = onLeave
    this.#types = checkTypes(options?.types)
    this.#highWaterMark = checkHighWaterMark(options?.highWaterMark)
  }

  /** The source dispatched `event`. */
  push(event: MessageEvent): void {
    if (this.#finished || (this.#types && !this.#types.has(event.type))) return
    const pending = this.#pending
    if (pending) {
      this.#pending = undefined
      pending.resolve({ value: event, done: false })
      return
    }
    this.#queue.push(event)
    if (!this.#holding && this.#waiting() >= this.#highWaterMark) {
      this.#holding = true
      this.#flow.hold()
    }
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
    this.#release()
    const pending = this.#pending
    this.#pending = undefined
    if (pending) this.#settle().then(pending.resolve, pending.reject)
  }

  next(): Promise<IteratorResult<MessageEvent>> {
    if (this.#waiting() > 0) return Promise.resolve({ value: this.#shift(), done: false })
    if (this.#finished) return this.#settle()
    return new Promise((resolve, reject) => (this.#pending = { resolve, reject }))
  }

  /** `break`, `return` or a throw in the loop's body: the source closes. */
  return(): Promise<IteratorResult<MessageEvent>> {
    this.#leave()
    return Promise.resolve({ value: undefined, done: true })
  }

  throw(error?: unknown): Promise<IteratorResult<MessageEvent>> {
    this.#leave()
    return Promise.reject(error)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #waiting(): number {
    return this.#queue.length - this.#head
  }

  #shift(): MessageEvent {
    const event = this.#queue[this.#head++]
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    }
    if (this.#holding && this.#waiting() < this.#highWaterMark) this.#release()
    return event
  }

  /** The end of a finished loop: a failure is thrown once, then the iterator is done. */
  #settle(): Promise<IteratorResult<MessageEvent>> {
    const failure = this.#failure
    this.#failure = undefined
    return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true })
  }

  #release(): void {
    if (!this.#holding) return
    this.#holding = false
    this.#flow.release()
  }

  #leave(): void {
    const wasFinished = this.#finished
    this.#finished = true
    this.#failure = undefined
    this.#queue = []
    this.#head = 0
    this.#release()
    this.#pending?.resolve({ value: undefined, done: true })
    this.#pending = undefined
    if (!wasFinished) this.#onLeave(this)
  }
}

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
