import { BROWSER_SCRIPT } from './platform'
import type { EventSourceRequestInit, HeadersInitLike, HeadersOption, RequestBody } from './types'

/** What every attempt of one source sends, fixed at construction. */
export interface RequestTemplate {
  method: string
  body: RequestBody | undefined
  /** Static `headers`, checked and lower-cased once at construction. */
  headers: Record<string, string> | undefined
  /** A `headers` function, called before every attempt. */
  headersFunction: Exclude<HeadersOption, HeadersInitLike> | undefined
  withCredentials: boolean
}

/** Header names are compared in lower case; values must be legal header values. */
type HeaderRecord = Record<string, string>

/**
 * Fetch's `no-store` cache mode makes the platform fetch send `Cache-Control: no-cache` itself. In
 * a browser, setting it by hand would turn a simple cross-origin request into a preflighted one,
 * so only runtimes without CORS (Node, Deno, Bun — where fetch may not add it, as node-fetch does
 * not) get it from us; never the browser script.
 */
const ADD_CACHE_CONTROL =
  !BROWSER_SCRIPT &&
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
  const custom = template.headersFunction ? await template.headersFunction() : undefined
  // Constructor step 10: "User agents may set (`Accept`, `text/event-stream`) in request's header list."
  const headers: HeaderRecord = { accept: 'text/event-stream' }
  if (ADD_CACHE_CONTROL) headers['cache-control'] = 'no-cache'
  Object.assign(headers, template.headers)
  if (custom !== undefined) mergeHeaders(headers, custom)
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
 * Copies `init` into `target` with lower-cased names. The platform's `Headers` checks names and
 * values: one with CR, LF or NUL, which could inject headers, is refused.
 * @throws TypeError naming the `headers` option.
 */
export function mergeHeaders(target: HeaderRecord, init: HeadersInitLike): HeaderRecord {
  let headers: Headers
  try {
    headers = new Headers(init as HeadersInit)
  } catch (error) {
    throw new TypeError(`EventSource: invalid \`headers\`: ${(error as Error).message}`, { cause: error })
  }
  headers.forEach((value, name) => {
    target[name] = value
  })
  return target
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
