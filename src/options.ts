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

/** An HTTP token (RFC 9110 § 5.6.2), as a method must be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Methods fetch refuses to send (Fetch § forbidden method). */
const FORBIDDEN_METHOD = /^(CONNECT|TRACE|TRACK)$/i

/**
 * Checks the constructor's second argument and fills in the defaults.
 * @throws TypeError for an option of the wrong type, RangeError for a number out of range; the
 *   message names the option.
 */
export function resolveOptions(init: EventSourceInit | null | undefined): ResolvedOptions {
  if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') {
    invalid('the second argument', 'an options object', init)
  }
  const read = <K extends keyof EventSourceInit>(name: K): EventSourceInit[K] => readOption(init, name)
  const method = checkMethod(read('method'))
  // WebIDL converts `withCredentials` to a boolean, whatever it is.
  const withCredentials = Boolean(read('withCredentials'))
  return {
    withCredentials,
    template: { method, body: checkBody(read('body'), method), ...checkHeaders(read('headers')), withCredentials },
    fetch: resolveFetch(checkFunction('fetch', read('fetch'))),
    lastEventId: checkLastEventId(read('lastEventId')),
    retryDelay: checkNumber('retryDelay', read('retryDelay'), 0) ?? DEFAULT_RETRY_DELAY_MS,
    backoff: checkFunction('backoff', read('backoff')) ?? exponentialBackoff(),
    resetAfter: checkNumber('resetAfter', read('resetAfter'), 0) ?? DEFAULT_RESET_AFTER_MS,
    readTimeout: checkNumber('readTimeout', read('readTimeout'), 1, MAX_TIMER_DELAY_MS),
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
  const own = Object.prototype.hasOwnProperty
  if (!own.call(init, name) && own.call(Object.prototype, name)) return undefined
  try {
    return init[name]
  } catch (error) {
    throw new TypeError(`EventSource: reading option \`${name}\` threw: ${show(error)}`, { cause: error })
  }
}

/** Throws `EventSource: `name` must be …, got …` as a TypeError, or as `Kind`. */
function invalid(name: string, expected: string, value: unknown, Kind: ErrorConstructor = TypeError): never {
  throw new Kind(`EventSource: \`${name}\` must be ${expected}, got ${show(value)}`)
}

/** A value for an error message; never throws, whatever the value (a null-prototype object, …). */
function show(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

function checkFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(name, 'a function', value)
  return value
}

/** An optional number of ms (or characters) in [min, max]. */
function checkNumber(name: string, value: unknown, min: number, max = Number.MAX_VALUE): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number') invalid(name, 'a number', value)
  if (!(value >= min && value <= max)) invalid(name, `a number from ${min} to ${max}`, value, RangeError)
  return value
}

function checkMethod(value: unknown): string {
  if (value === undefined) return 'GET'
  if (typeof value !== 'string' || !TOKEN.test(value) || FORBIDDEN_METHOD.test(value)) {
    invalid('method', 'an HTTP method fetch can send', value)
  }
  return value
}

/** Bodies that can be sent again on every reconnection: not a stream. */
const RESENDABLE_BODIES = [globalThis.URLSearchParams, globalThis.Blob, globalThis.FormData, ArrayBuffer].filter(Boolean)

function checkBody(value: unknown, method: string): RequestBody | undefined {
  if (value === undefined || value === null) return undefined
  if (/^(GET|HEAD)$/i.test(method)) invalid('body', `absent with method ${method}; set \`method\` (e.g. 'POST')`, value)
  if (typeof value !== 'string' && !ArrayBuffer.isView(value) && !RESENDABLE_BODIES.some((Body) => value instanceof Body)) {
    invalid('body', 'a string, URLSearchParams, Blob, ArrayBuffer(View) or FormData (sent on every attempt)', value)
  }
  return value as RequestBody
}

/** A function is called per attempt; static headers are checked and lower-cased once, now. */
function checkHeaders(value: unknown): Pick<RequestTemplate, 'headers' | 'headersFunction'> {
  if (value === undefined || value === null) return { headers: undefined, headersFunction: undefined }
  if (typeof value === 'function') return { headers: undefined, headersFunction: value as RequestTemplate['headersFunction'] }
  return { headers: mergeHeaders({}, value as HeadersInitLike), headersFunction: undefined }
}

function checkLastEventId(value: unknown): string {
  if (value === undefined) return ''
  // No stream can set an id with NUL, CR or LF, and none of them can travel in a header.
  if (typeof value !== 'string' || /[\0\r\n]/.test(value)) invalid('lastEventId', 'a string without NUL, CR or LF', value)
  return value
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined
  const signal = value as AbortSignal
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    invalid('signal', 'an AbortSignal', value)
  }
  return signal
}
