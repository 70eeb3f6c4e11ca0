import type { EventSourceRequestInit, HeadersInitLike, HeadersOption, RequestBody } from './types'

/** What every attempt of one source sends, fixed at construction. */
export interface RequestTemplate {
  method: string
  body: RequestBody | undefined
  headers: HeadersOption | undefined
  withCredentials: boolean
}

/** Header names are compared in lower case; values must be legal header values. */
type HeaderRecord = Record<string, string>

/** A header value must not contain NUL, CR or LF (Fetch § header value). */
const ILLEGAL_HEADER_VALUE = /[\0\r\n]/
/** A header name is an HTTP token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Fetch's `no-store` cache mode makes the platform fetch send `Cache-Control: no-cache` itself. In
 * a browser, setting it by hand would turn a simple cross-origin request into a preflighted one,
 * so only runtimes without CORS (Node, Deno, Bun — where fetch may not add it, as node-fetch does
 * not) get it from us.
 */
const ADD_CACHE_CONTROL =
  typeof (globalThis as { document?: unknown }).document === 'undefined' &&
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined'

/**
 * Builds the `RequestInit` of one connection attempt (HTML § 9.2.2, the EventSource constructor,
 * steps 8–11, and § 9.2.3 "reestablish the connection", step 5.3 for `Last-Event-ID`).
 */
export async function buildRequestInit(
  template: RequestTemplate,
  lastEventId: string,
  signal: AbortSignal,
): Promise<EventSourceRequestInit> {
  const custom = typeof template.headers === 'function' ? await template.headers() : template.headers
  // Constructor step 10: "User agents may set (`Accept`, `text/event-stream`) in request's header list."
  const headers: HeaderRecord = { accept: 'text/event-stream' }
  if (ADD_CACHE_CONTROL) headers['cache-control'] = 'no-cache'
  if (custom !== undefined) mergeHeaders(headers, custom, 'headers')
  // The source owns Last-Event-ID: it is the stream's state (or the `lastEventId` option).
  delete headers['last-event-id']
  // Reestablish step 5.3: "If the EventSource object's last event ID string is not the empty
  // string, set (`Last-Event-ID`, last event ID string, encoded as UTF-8) in request's header list."
  if (lastEventId !== '') headers['last-event-id'] = utf8AsByteString(lastEventId)
  return {
    method: template.method,
    headers,
    body: template.body,
    // Constructor step 11: "Set request's cache mode to `no-store`."
    cache: 'no-store',
    // Constructor steps 6–8: a potential-CORS request, credentials mode "include" when
    // withCredentials is true, else "same-origin".
    mode: 'cors',
    credentials: template.withCredentials ? 'include' : 'same-origin',
    redirect: 'follow',
    signal,
  }
}

/**
 * Copies `init` into `target` with lower-cased names, checking names and values.
 * @throws TypeError naming `option` for an illegal name or value.
 */
export function mergeHeaders(target: HeaderRecord, init: HeadersInitLike, option: string): HeaderRecord {
  for (const [name, value] of headerEntries(init, option)) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
      throw new TypeError(`EventSource: \`${option}\` has an invalid header name ${JSON.stringify(name)}`)
    }
    const text = String(value)
    if (ILLEGAL_HEADER_VALUE.test(text)) {
      throw new TypeError(
        `EventSource: \`${option}\` header "${name}" has a value with CR, LF or NUL, which could inject headers`,
      )
    }
    target[name.toLowerCase()] = text
  }
  return target
}

function headerEntries(init: HeadersInitLike, option: string): Iterable<readonly [string, unknown]> {
  if (init === null || typeof init !== 'object') {
    throw new TypeError(`EventSource: \`${option}\` must be a Headers object, an array of pairs or a plain object`)
  }
  if (!Array.isArray(init) && typeof (init as Headers).forEach === 'function') {
    const pairs: [string, string][] = []
    ;(init as Headers).forEach((value, name) => pairs.push([name, value]))
    return pairs
  }
  if (Array.isArray(init)) {
    return init.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`EventSource: \`${option}\` as an array must hold [name, value] pairs`)
      }
      return pair as [string, unknown]
    })
  }
  return Object.keys(init).map((name) => [name, (init as Record<string, unknown>)[name]] as const)
}

/**
 * Header values are byte strings: each char one byte. The id travels as its UTF-8 bytes, so a
 * non-ASCII id reaches the server intact (and is not double-encoded).
 */
function utf8AsByteString(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text
  let bytes = ''
  for (const byte of new TextEncoder().encode(text)) bytes += String.fromCharCode(byte)
  return bytes
}
