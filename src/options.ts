import { exponentialBackoff } from './backoff'
import { DEFAULT_MAX_EVENT_SIZE, DEFAULT_RESET_AFTER_MS, DEFAULT_RETRY_DELAY_MS, MAX_TIMER_DELAY_MS } from './defaults'
import { retriesByDefault } from './failure'
import { resolveFetch } from './fetch'
import { checkBoolean, checkFunction, checkNumber, invalid, show } from './invalid-input'
import { BROWSER_SCRIPT } from './platform'
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
  networkAware: boolean
  onComment: ((text: string) => void) | undefined
}

/** The default strategy: it keeps no state, so every source shares one. */
const DEFAULT_BACKOFF = /* @__PURE__ */ exponentialBackoff()

/** The options of sources constructed without any. */
let defaultOptions: ResolvedOptions | undefined

/**
 * An HTTP token (RFC 9110 § 5.6.2), as a method must be, and not one that fetch refuses to send
 * (Fetch § forbidden method).
 */
const SENDABLE_METHOD = /^(?!(CONNECT|TRACE|TRACK)$)[!#$%&'*+.^_`|~\w-]+$/i

/**
 * Checks the constructor's second argument and fills in the defaults.
 * @throws TypeError for an option of the wrong type, RangeError for a number out of range; the
 *   message names the option.
 */
export function resolveOptions(init: EventSourceInit | null | undefined): ResolvedOptions {
  if (BROWSER_SCRIPT || init != null) return resolveGiven(init)
  // Sources constructed without options share one resolved object (nothing changes it), for as
  // long as the global fetch is the same: every idle source pays for what it keeps.
  if (defaultOptions?.fetch !== resolveFetch(undefined)) defaultOptions = resolveGiven(init)
  return defaultOptions
}

function resolveGiven(init: EventSourceInit | null | undefined): ResolvedOptions {
  if (init != null && typeof init !== 'object' && typeof init !== 'function') {
    invalid('the second argument', 'an options object', init)
  }
  const read = <K extends keyof EventSourceInit>(name: K): EventSourceInit[K] => readOption(init, name)
  const method = checkMethod(read('method'))
  // WebIDL converts `withCredentials` to a boolean, whatever it is.
  const withCredentials = !!read('withCredentials')
  const headers = read('headers')
  const headersFunction = typeof headers === 'function' ? headers : undefined
  return {
    withCredentials,
    template: {
      method,
      body: checkBody(read('body'), method),
      // A function is called per attempt; static headers are checked and lower-cased once, now.
      headers: headers == null || headersFunction ? undefined : mergeHeaders({}, headers as HeadersInitLike),
      headersFunction,
      withCredentials,
    },
    fetch: resolveFetch(checkFunction('fetch', read('fetch'))),
    lastEventId: checkLastEventId(read('lastEventId')),
    retryDelay: checkNumber('retryDelay', read('retryDelay'), 0) ?? DEFAULT_RETRY_DELAY_MS,
    backoff: checkFunction('backoff', read('backoff')) ?? DEFAULT_BACKOFF,
    resetAfter: checkNumber('resetAfter', read('resetAfter'), 0) ?? DEFAULT_RESET_AFTER_MS,
    readTimeout: checkNumber('readTimeout', read('readTimeout'), 1, MAX_TIMER_DELAY_MS),
    shouldRetry: checkFunction('shouldRetry', read('shouldRetry')) ?? retriesByDefault,
    signal: checkSignal(read('signal')),
    maxEventSize: checkNumber('maxEventSize', read('maxEventSize'), 1) ?? DEFAULT_MAX_EVENT_SIZE,
    networkAware: checkBoolean('networkAware', read('networkAware')) ?? true,
    onComment: checkFunction('onComment', read('onComment')),
  }
}

/**
 * Reads one option. A value that comes from a polluted `Object.prototype` is ignored, and a
 * getter that throws is reported with the option's name.
 */
export function readOption<K extends keyof EventSourceInit>(init: EventSourceInit | null | undefined, name: K): EventSourceInit[K] {
  if (init == null || (Object.hasOwn(Object.prototype, name) && !Object.hasOwn(init, name))) return undefined
  try {
    return init[name]
  } catch (error) {
    throw new TypeError(`EventSource: reading option \`${name}\` threw: ${show(error)}`, { cause: error })
  }
}

function checkMethod(value: unknown): string {
  if (value === undefined) return 'GET'
  if (typeof value !== 'string' || !SENDABLE_METHOD.test(value)) invalid('method', 'an HTTP method fetch can send', value)
  return value
}

/** Bodies that can be sent again on every reconnection: not a stream. */
const RESENDABLE_BODIES = [globalThis.URLSearchParams, globalThis.Blob, globalThis.FormData, ArrayBuffer].filter(Boolean)

function checkBody(value: unknown, method: string): RequestBody | undefined {
  if (value == null) return undefined
  if (/^(GET|HEAD)$/i.test(method)) invalid('body', `absent with method ${method}; set \`method\` (e.g. 'POST')`, value)
  if (typeof value !== 'string' && !ArrayBuffer.isView(value) && !RESENDABLE_BODIES.some((Body) => value instanceof Body)) {
    invalid('body', 'a string, Blob, BufferSource, FormData or URLSearchParams (it is sent on every attempt)', value)
  }
  return value as RequestBody
}

function checkLastEventId(value: unknown): string {
  if (value === undefined) return ''
  // No stream can set an id with NUL, CR or LF, and none of them can travel in a header.
  if (typeof value !== 'string' || /[\0\r\n]/.test(value)) invalid('lastEventId', 'a string without NUL, CR or LF', value)
  return value
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value == null) return undefined
  const signal = value as AbortSignal
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    invalid('signal', 'an AbortSignal', value)
  }
  return signal
}
