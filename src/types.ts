/**
 * The public types of the constructor's options and of the failures the source reports.
 * Everything beyond `withCredentials` is an extension of the WHATWG `EventSourceInit`.
 */

/**
 * Any function with the shape of `fetch` that resolves to a `Response`-like object whose
 * `body` is a WHATWG `ReadableStream` or a Node.js readable stream (as node-fetch gives).
 */
export type FetchLike = (input: string, init: EventSourceRequestInit) => Promise<ResponseLike>

/**
 * The `RequestInit` the source passes to fetch on every attempt. Declared here rather than taken
 * from lib.dom, so that projects with only Node's types type-check too.
 */
export interface EventSourceRequestInit {
  method: string
  /** Lower-case names: `accept`, `last-event-id` (when not empty), yours from `headers`. */
  headers: Record<string, string>
  body: RequestBody | undefined
  cache: 'no-store'
  mode: 'cors'
  credentials: 'include' | 'same-origin'
  redirect: 'follow'
  signal: AbortSignal
}

/** Headers as fetch takes them: a `Headers` object, `[name, value]` pairs, or a plain object. */
export type HeadersInitLike = Headers | ReadonlyArray<readonly [string, string]> | Record<string, string>

/** The parts of a `Response` the source reads. */
export interface ResponseLike {
  readonly status: number
  readonly statusText?: string
  readonly url?: string
  readonly headers: { get(name: string): string | null; forEach?(callback: (value: string, key: string) => void): void }
  readonly body: unknown
}

/** What went wrong, in one word. */
export type FailureKind =
  /** The server answered with a status other than 200 (204 and redirects that were not followed included). */
  | 'http'
  /** The server answered 200 with a content type other than `text/event-stream`. */
  | 'content-type'
  /** The request or the response body failed: DNS, refused or reset connection, TLS, CORS, an aborted body. */
  | 'network'
  /** Extension: no byte arrived for `readTimeout` ms. */
  | 'timeout'
  /** The server ended the response body. */
  | 'end'
  /** Extension: an event or line grew past `maxEventSize`. */
  | 'event-size'

/**
 * A description of one failed or ended connection attempt, handed to `shouldRetry` and
 * reflected in every `error` event.
 */
export interface ConnectionFailure {
  /** What went wrong. */
  readonly kind: FailureKind
  /**
   * The response status when the response was the failure (`'http'`, `'content-type'`);
   * undefined for failures without a response or after a good one (`'network'`, `'timeout'`,
   * `'end'`, `'event-size'`).
   */
  readonly status: number | undefined
  /** The response headers, where there was a response. */
  readonly headers: Headers | undefined
  /** A human-readable sentence: `"HTTP 503 Service Unavailable"`, `"read timeout after 30000 ms"`, … */
  readonly message: string
  /** The underlying error, for `network` failures (and whatever the transport threw). */
  readonly cause: unknown
  /**
   * How many consecutive attempts have failed since the last healthy connection (one that
   * delivered an event, or stayed open for `resetAfter`), this one included (starts at 1).
   */
  readonly attempt: number
}

/**
 * Chooses how long to wait before the next attempt.
 *
 * @param attempt - consecutive failed attempts since the last healthy connection, starting at 1.
 * @param reconnectionTime - the source's current reconnection time in ms (`retryDelay`, or the
 *   server's last `retry:` field).
 * @returns a delay in ms; the source never waits less than `reconnectionTime`.
 */
export type BackoffStrategy = (attempt: number, reconnectionTime: number) => number

/** Headers to send, or a function called before every connection attempt that returns them. */
export type HeadersOption = HeadersInitLike | (() => HeadersInitLike | Promise<HeadersInitLike>)

/**
 * A request body that can be sent again on every reconnection. Typed arrays work at run time
 * too; they are left out of the type because TypeScript 5.7+ types fetch's body as
 * `ArrayBufferView<ArrayBuffer>`, which older versions cannot name.
 */
export type RequestBody = string | URLSearchParams | Blob | ArrayBuffer | FormData

/**
 * Options of the `EventSource` constructor. Only `withCredentials` is in the WHATWG spec; every
 * other option is an extension, and with none of them the source behaves as the spec says, plus
 * exponential backoff between reconnections.
 */
export interface EventSourceInit {
  /**
   * Send cookies and credentials with cross-origin requests (fetch's `credentials: 'include'`);
   * otherwise `'same-origin'`.
   * @default false
   */
  withCredentials?: boolean

  /**
   * Extension: headers to send with every request, merged over the defaults (`Accept`). A function
   * is called (and awaited) before every connection attempt, so a token can be refreshed between
   * attempts. Static headers are read once, at construction. The source still sets
   * `Last-Event-ID` itself.
   *
   * In a browser, any custom header makes a cross-origin request "non-simple": the server must
   * answer a CORS preflight (`OPTIONS`) for it.
   * @example { headers: { Authorization: `Bearer ${token}` } }
   * @example { headers: async () => ({ Authorization: `Bearer ${await getFreshToken()}` }) }
   */
  headers?: HeadersOption

  /**
   * Extension: the request method, sent on every attempt.
   * @default 'GET'
   * @example { method: 'POST', body: JSON.stringify({ prompt }) }
   */
  method?: string

  /** Extension: the request body, sent again on every attempt. Not allowed with `GET` or `HEAD`. */
  body?: RequestBody

  /**
   * Extension: the fetch implementation to use (a proxy-aware one, undici's with a dispatcher, a
   * test double).
   * @default the global `fetch`, else `cross-fetch`
   */
  fetch?: FetchLike

  /**
   * Extension: the `Last-Event-ID` to send on the first request, as if the stream had sent it.
   * @default ''
   */
  lastEventId?: string

  /**
   * Extension: the initial reconnection time in ms. A `retry:` field from the server replaces it,
   * as the spec says.
   * @default 3000
   */
  retryDelay?: number

  /**
   * Extension: how long to wait before each reconnection, given the count of consecutive failed
   * attempts. Whatever it returns, the source never waits less than the reconnection time.
   *
   * A connection that delivered at least one event was healthy: the failure that ends it counts
   * as attempt 1, so servers and proxies that end every response after a while get the plain
   * reconnection time, as with the native EventSource. Only attempts that deliver no event (a
   * server that is down, refuses, or accepts and ends without an event) back off further.
   * @default exponentialBackoff() — doubling from the reconnection time up to 30 s, with up to 50% jitter
   */
  backoff?: BackoffStrategy

  /**
   * Extension: once a connection has stayed open this many ms, the count of failed attempts
   * starts over, even if it delivered no event (only comments, or nothing). A connection that
   * delivered an event resets the count anyway.
   * @default 60000
   */
  resetAfter?: number

  /**
   * Extension, for browsers and workers: reconnection waits follow the network. While
   * `navigator.onLine` is false, no attempt is made (it would fail and only grow the backoff);
   * when the `online` event fires, or a hidden page becomes visible again, a source waiting to
   * reconnect connects at once — but never sooner than the reconnection time after the failure.
   * Listeners are on the global scope only while the source waits. No effect in Node, Deno and Bun.
   * @default true
   */
  networkAware?: boolean

  /**
   * Extension: called with the text of each comment line (after the colon, and one space if there
   * is one), in stream order with the events: heartbeats and server diagnostics. An exception it
   * throws is reported as an event listener's would be, and the stream goes on.
   * @example { onComment: (text) => console.debug('server says', text) }
   */
  onComment?: (comment: string) => void

  /**
   * Extension: drop and reestablish the connection when no byte (comments included) has arrived
   * for this many ms. Have the server send a comment line (`:\n`) every ~15 s as a heartbeat.
   * @default undefined (no read timeout)
   */
  readTimeout?: number

  /**
   * Extension: decides, for every failed or ended attempt, whether to reconnect (`true`, after
   * the backoff delay) or to close (`false`). The default is the spec's choice: reconnect after
   * network errors, the end of the stream and read timeouts; fail on HTTP error statuses, 204, a
   * wrong content type and an event over `maxEventSize`.
   * @example { shouldRetry: (f) => f.status === undefined || f.status >= 500 || f.status === 429 }
   */
  shouldRetry?: (failure: ConnectionFailure) => boolean

  /** Extension: aborting this signal closes the source. */
  signal?: AbortSignal

  /**
   * Extension: the most characters one event (its data lines together) or one line may hold.
   * A stream that goes past it ends the connection with an `event-size` failure, which closes
   * the source unless `shouldRetry` says otherwise.
   * @default 16777216 (16 MiB)
   */
  maxEventSize?: number
}
