import { exponentialBackoff } from './backoff'
import { DEFAULT_MAX_EVENT_SIZE, DEFAULT_RESET_AFTER_MS, DEFAULT_RETRY_DELAY_MS, MAX_TIMER_DELAY_MS } from './defaults'
import { retriesByDefault } from './failure'
import { resolveFetch } from './fetch'
import { mergeHeaders, type RequestTemplate } from './request'
import type { BackoffStrategy, ConnectionFailure, EventSourceInit, FetchLike, HeadersInitLike, RequestBody } from './types'

/** The constructor's options, checked, with every default filled in. */
export interface ResolvedOptions {
  withCredentials: boolean
  template: RequestTemplate
  fetch: FetchLike
  lastEventId: string
  retryDelay: number
  backoff: BackoffStrategy
  resetAfter: number
  readTimeout: number | undefined
  shouldRetry: (failure: ConnectionFailure) => boolean
  signal: AbortSignal | undefined
  maxEventSize: number
}

/** Methods fetch refuses to send (Fetch § forbidden method). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Checks the constructor's second argument and fills in the defaults.
 * @throws TypeError for an option of the wrong type, RangeError for a number out of range; the
 *   message names the option.
 */
export function resolveOptions(init: EventSourceInit | null | undefined): ResolvedOptions {
  if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') {
    throw new TypeError(`EventSource: the second argument must be an options object, got ${typeof init}`)
  }
  const read = <K extends keyof EventSourceInit>(name: K): EventSourceInit[K] => readOption(init, name)
  const method = checkMethod(read('method'))
  return {
    // WebIDL converts `withCredentials` to a boolean, whatever it is.
    withCredentials: Boolean(read('withCredentials')),
    template: {
      method,
      body: checkBody(read('body'), method),
      headers: checkHeaders(read('headers')),
      withCredentials: Boolean(read('withCredentials')),
    },
    fetch: resolveFetch(checkFunction('fetch', read('fetch'))),
    lastEventId: checkLastEventId(read('lastEventId')),
    retryDelay: checkNumber('retryDelay', read('retryDelay'), 0) ?? DEFAULT_RETRY_DELAY_MS,
    backoff: checkFunction('backoff', read('backoff')) ?? exponentialBackoff(),
    resetAfter: checkNumber('resetAfter', read('resetAfter'), 0) ?? DEFAULT_RESET_AFTER_MS,
    readTimeout: checkReadTimeout(read('readTimeout')),
    shouldRetry: checkFunction('shouldRetry', read('shouldRetry')) ?? retriesByDefault,
    signal: checkSignal(read('signal')),
    maxEventSize: checkNumber('maxEventSize', read('maxEventSize'), 1) ?? DEFAULT_MAX_EVENT_SIZE,
  }
}

/**
 * Reads one option. A value that comes from a polluted `Object.prototype` is ignored, and a
 * getter that throws is reported with the option's name.
 */
function readOption<K extends keyof EventSourceInit>(
  init: EventSourceInit | null | undefined,
  name: K,
): EventSourceInit[K] {
  if (init === undefined || init === null) return undefined
  if (!Object.prototype.hasOwnProperty.call(init, name) && Object.prototype.hasOwnProperty.call(Object.prototype, name)) {
    return undefined
  }
  try {
    return init[name]
  } catch (error) {
    throw new TypeError(`EventSource: reading option \`${name}\` threw: ${String(error)}`, { cause: error })
  }
}

function checkFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') {
    throw new TypeError(`EventSource: \`${name}\` must be a function, got ${describe(value)}`)
  }
  return value
}

function checkNumber(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number') {
    throw new TypeError(`EventSource: \`${name}\` must be a number of milliseconds, got ${describe(value)}`)
  }
  if (!(value >= min) || !Number.isFinite(value)) {
    throw new RangeError(`EventSource: \`${name}\` must be a finite number >= ${min}, got ${value}`)
  }
  return value
}

function checkReadTimeout(value: unknown): number | undefined {
  const timeout = checkNumber('readTimeout', value, 0)
  if (timeout === undefined) return undefined
  if (timeout === 0 || timeout > MAX_TIMER_DELAY_MS) {
    throw new RangeError(`EventSource: \`readTimeout\` must be > 0 and <= ${MAX_TIMER_DELAY_MS} ms, got ${timeout}`)
  }
  return timeout
}

function checkMethod(value: unknown): string {
  if (value === undefined) return 'GET'
  if (typeof value !== 'string') throw new TypeError(`EventSource: \`method\` must be a string, got ${describe(value)}`)
  if (!METHOD_TOKEN.test(value)) throw new TypeError(`EventSource: \`method\` ${JSON.stringify(value)} is not a valid HTTP method`)
  if (FORBIDDEN_METHODS.has(value.toUpperCase())) throw new TypeError(`EventSource: \`method\` ${value} is forbidden by fetch`)
  return value
}

function checkBody(value: unknown, method: string): RequestBody | undefined {
  if (value === undefined || value === null) return undefined
  const upper = method.toUpperCase()
  if (upper === 'GET' || upper === 'HEAD') {
    throw new TypeError(`EventSource: \`body\` cannot be sent with method ${method}; set \`method\` (e.g. 'POST')`)
  }
  if (
    typeof value === 'string' ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (typeof URLSearchParams !== 'undefined' && value instanceof URLSearchParams) ||
    (typeof Blob !== 'undefined' && value instanceof Blob) ||
    (typeof FormData !== 'undefined' && value instanceof FormData)
  ) {
    return value as RequestBody
  }
  throw new TypeError(
    `EventSource: \`body\` must be a string, URLSearchParams, Blob, ArrayBuffer, typed array or FormData (it is sent again on every reconnection), got ${describe(value)}`,
  )
}

function checkHeaders(value: unknown): RequestTemplate['headers'] {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'function') return value as RequestTemplate['headers']
  // Static headers are checked now, so a bad name or value throws at construction.
  mergeHeaders({}, value as HeadersInitLike, 'headers')
  return value as HeadersInitLike
}

function checkLastEventId(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value !== 'string') throw new TypeError(`EventSource: \`lastEventId\` must be a string, got ${describe(value)}`)
  if (/[\0\r\n]/.test(value)) {
    throw new TypeError('EventSource: `lastEventId` cannot contain NUL, CR or LF (no stream could have sent such an id)')
  }
  return value
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined
  const signal = value as AbortSignal
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new TypeError(`EventSource: \`signal\` must be an AbortSignal, got ${describe(value)}`)
  }
  return signal
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
  return `${typeof value} ${String(value)}`
}
