/**
 * A fault-injecting loopback HTTP server for tests that attack the source: it cuts connections
 * after exactly N body bytes, stalls, trickles one byte at a time, ends mid-event, answers error
 * statuses, redirects in chains and loops, sends the wrong content type, an endless header, an
 * endless line, or a body that never starts — and it can serve a numbered stream that honours
 * `Last-Event-ID`, so that tests can check every event arrives exactly once across the faults.
 *
 * Real sockets only: node:http for the ordinary parts, the raw socket where the fault needs
 * control HTTP does not give (an endless header, a TCP reset).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request as the fault server saw it. */
export interface FaultRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  /** Path without the query. */
  path: string
  headers: IncomingMessage['headers']
  body: string
  /** How many requests this path had seen before this one, starting at 0. */
  attempt: number
  /** The `Last-Event-ID` header, if any. */
  lastEventId: string | undefined
  /** Response body bytes the server has written so far (updated as the response goes out). */
  bytesSent: number
  /** When the request arrived (Date.now()). */
  at: number
  /** Whether its response is over: ended, or the connection closed. */
  closed: boolean
}

/** How a response ends once its scripted bytes are out. */
export type Ending =
  /** A well-formed end of the response: the client sees the stream end ('end'). */
  | 'end'
  /** A FIN in the middle of the chunked body: the client sees a network error after every byte sent. */
  | 'cut'
  /** A TCP reset: the client sees a network error and may lose bytes still in flight. */
  | 'reset'
  /** Nothing: the response stays open until the client leaves. */
  | 'hold'

/** What a handler gets to script one response with. */
export interface FaultContext {
  req: IncomingMessage
  res: ServerResponse
  socket: Socket
  request: FaultRequest
  /** Whether the client has gone away (or the response was ended). */
  readonly gone: boolean
  /** Resolves when the client goes away or the response is closed. */
  readonly whenGone: Promise<void>
  /** Writes the status line and headers at once (default: 200 text/event-stream, no-cache). */
  head(status?: number, headers?: Record<string, string>): void
  /** Writes body bytes; resolves true once they were handed to the kernel, false if the client left. */
  send(bytes: string | Uint8Array): Promise<boolean>
  /** Waits `ms`; resolves false early if the client leaves. */
  pause(ms: number): Promise<boolean>
  /** Ends the response as `ending` says. */
  finish(ending: Ending): void
}

export type FaultHandler = (ctx: FaultContext) => unknown

export interface FaultServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  port: number
  url(path: string): string
  /** Every request received, in arrival order. */
  requests: FaultRequest[]
  /** The requests to one path (query ignored). */
  requestsTo(path: string): FaultRequest[]
  /** Adds or replaces the handler of a path (query ignored). */
  route(path: string, handler: FaultHandler): void
  /** TCP connections currently open to the server. */
  openSockets(): number
  /** Closes the connections that carry no request now (a client's idle keep-alive pool). */
  closeIdleConnections(): void
  /** Closes the server and every connection. */
  close(): Promise<void>
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

/**
 * Starts a fault server on 127.0.0.1, on a random port. With `record: false` requests are not kept
 * in `requests` (for long runs that measure memory); per-path attempt counts still work.
 */
export async function startFaultServer(
  routes: Record<string, FaultHandler> = {},
  { record = true }: { record?: boolean } = {},
): Promise<FaultServer> {
  const handlers = new Map<string, FaultHandler>(Object.entries(routes))
  const requests: FaultRequest[] = []
  const attempts = new Map<string, number>()
  const sockets = new Set<Socket>()

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = req.url ?? '/'
      const path = url.split('?')[0]
      const attempt = attempts.get(path) ?? 0
      attempts.set(path, attempt + 1)
      const header = req.headers['last-event-id']
      const request: FaultRequest = {
        method: req.method ?? '',
        url,
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        attempt,
        lastEventId: typeof header === 'string' ? header : undefined,
        bytesSent: 0,
        at: Date.now(),
        closed: false,
      }
      if (record) requests.push(request)
      const handler = handlers.get(path)
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no route')
        return
      }
      const ctx = makeContext(req, res, request)
      Promise.resolve()
        .then(() => handler(ctx))
        .catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))))
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A client that closes its end has left: node:http would keep a half-open socket for as long
    // as an unfinished response (a stall, a held stream) lasts; let it go at once.
    socket.on('end', () => socket.destroy())
  })
  // Idle keep-alive connections go away quickly, so that clients' sockets do too.
  server.keepAliveTimeout = 50
  server.maxConnections = 10_000

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    port,
    url: (path) => origin + path,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    route: (path, handler) => void handlers.set(path, handler),
    openSockets: () => sockets.size,
    closeIdleConnections: () => server.closeIdleConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function makeContext(req: IncomingMessage, res: ServerResponse, request: FaultRequest): FaultContext {
  const socket = req.socket
  let gone = false
  let markGone!: () => void
  const whenGone = new Promise<void>((resolve) => (markGone = resolve))
  const leave = (): void => {
    gone = true
    request.closed = true
    markGone()
  }
  res.on('close', leave)
  socket.on('close', leave)
  return {
    req,
    res,
    socket,
    request,
    get gone() {
      return gone || res.destroyed || socket.destroyed
    },
    whenGone,
    head(status = 200, headers = SSE_HEADERS) {
      res.writeHead(status, headers)
      res.flushHeaders()
    },
    send(bytes) {
      if (gone || res.destroyed) return Promise.resolve(false)
      const length = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength
      if (length === 0) return Promise.resolve(true)
      return new Promise<boolean>((resolve) => {
        const onGone = (): void => resolve(false)
        whenGone.then(onGone, onGone)
        res.write(bytes, (error) => {
          if (error) return resolve(false)
          request.bytesSent += length
          resolve(true)
        })
      })
    },
    pause(ms) {
      return new Promise<boolean>((resolve) => {
        if (gone) return resolve(false)
        const timer = setTimeout(() => resolve(!gone), ms)
        whenGone.then(() => {
          clearTimeout(timer)
          resolve(false)
        })
      })
    },
    finish(ending) {
      if (ending === 'hold' || gone || res.destroyed) return
      if (ending === 'end') res.end()
      // The chunked body never gets its last chunk: the client sees the connection close mid-body.
      else if (ending === 'cut') socket.end()
      else socket.resetAndDestroy()
    },
  }
}

/* ---------------------------------------------------------------------------------------------
 * Ready-made faults. Each returns a handler for `route()`.
 * ------------------------------------------------------------------------------------------- */

export interface StreamFaultOptions {
  /** Stop after this many body bytes (default: all of them). */
  cutAfter?: number
  /** What happens after the bytes are out (default 'end'). */
  then?: Ending
  /** Write the body in pieces of this many bytes (default: one write). */
  chunkSize?: number
  /** Pause this long between pieces (default 0: no pause, though each piece is flushed first). */
  gapMs?: number
  /** Response headers (default text/event-stream). */
  headers?: Record<string, string>
  status?: number
}

/** Writes the headers and then `body` (in pieces, up to `cutAfter` bytes), then ends as `then` says. */
export function stream(body: string | Uint8Array, options: StreamFaultOptions = {}): FaultHandler {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  return async (ctx) => {
    ctx.head(options.status ?? 200, options.headers ?? SSE_HEADERS)
    await sendBody(ctx, bytes.subarray(0, Math.min(options.cutAfter ?? bytes.length, bytes.length)), options)
    ctx.finish(options.then ?? 'end')
  }
}

/** Sends `bytes` in pieces of `chunkSize` with `gapMs` between; false if the client left. */
export async function sendBody(
  ctx: FaultContext,
  bytes: Uint8Array,
  { chunkSize, gapMs = 0 }: { chunkSize?: number; gapMs?: number } = {},
): Promise<boolean> {
  const size = chunkSize ?? Math.max(1, bytes.length)
  for (let start = 0; start < bytes.length; start += size) {
    if (!(await ctx.send(bytes.subarray(start, start + size)))) return false
    if (gapMs > 0 && start + size < bytes.length && !(await ctx.pause(gapMs))) return false
  }
  return true
}

/** The whole body one byte per write, `gapMs` apart, then `then`. */
export function oneByteAtATime(body: string | Uint8Array, { gapMs = 1, then = 'end' as Ending } = {}): FaultHandler {
  return stream(body, { chunkSize: 1, gapMs, then })
}

/** Writes `before`, then stalls for `ms` (or for good when `ms` is Infinity), then writes `after` and ends as `then` says. */
export function stall(
  ms: number,
  { before = '', after = '', then = 'hold' as Ending }: { before?: string; after?: string; then?: Ending } = {},
): FaultHandler {
  return async (ctx) => {
    ctx.head()
    if (!(await ctx.send(before))) return
    if (ms !== Infinity && !(await ctx.pause(ms))) return
    if (ms === Infinity) return
    if (!(await ctx.send(after))) return
    ctx.finish(then)
  }
}

/** Headers and then not a single body byte, ever. */
export function bodyNeverStarts(): FaultHandler {
  return (ctx) => ctx.head()
}

/** Reads the request and never answers it. */
export function neverResponds(): FaultHandler {
  return () => {}
}

/** Answers `status` (with `Retry-After` when given) and a short body, then ends. */
export function status(
  code: number,
  {
    retryAfter,
    contentType = 'text/event-stream',
    body = 'data: not for you\n\n',
  }: { retryAfter?: string; contentType?: string; body?: string } = {},
): FaultHandler {
  return (ctx) => {
    const headers: Record<string, string> = { 'content-type': contentType }
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter
    ctx.res.writeHead(code, headers)
    ctx.res.end(body)
  }
}

/** Answers a redirect to `location` (absolute, or a path on this server). */
export function redirect(code: number, location: string): FaultHandler {
  return (ctx) => {
    ctx.res.writeHead(code, { location, 'content-type': 'text/plain' })
    ctx.res.end('moved')
  }
}

/** A well-formed event stream body under the wrong content type (or none, with `null`). */
export function wrongContentType(type: string | null, body = 'data: should not be seen\n\n'): FaultHandler {
  return (ctx) => {
    ctx.res.writeHead(200, type === null ? {} : { 'content-type': type })
    ctx.res.end(body)
  }
}

/**
 * A response head whose last header never ends: written straight to the socket, `gapMs` between
 * writes of `piece` (0: as fast as the client reads), until the client leaves.
 */
export function endlessHeader({ gapMs = 0, piece = 'a'.repeat(1024) } = {}): FaultHandler {
  return async (ctx) => {
    const { socket } = ctx
    const write = (text: string): Promise<boolean> =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve(false)
        const ok = socket.write(text)
        if (ok) return resolve(true)
        const done = (): void => {
          socket.off('drain', done)
          socket.off('close', done)
          resolve(!socket.destroyed)
        }
        socket.once('drain', done)
        socket.once('close', done)
      })
    if (!(await write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-endless: '))) return
    for (;;) {
      if (!(await write(piece))) return
      ctx.request.bytesSent += piece.length
      if (gapMs > 0 && !(await ctx.pause(gapMs))) return
    }
  }
}

/**
 * `prefix`, then `piece` again and again for as long as the client reads (respecting
 * backpressure), until it leaves: an endless line (`piece` without a line break) or an endless
 * event (`piece` a whole `data:` line, never a blank line).
 */
export function endless(prefix: string, piece: string): FaultHandler {
  const chunk = Buffer.from(piece.repeat(Math.max(1, Math.floor(65536 / Buffer.byteLength(piece)))), 'utf8')
  return async (ctx) => {
    ctx.head()
    if (!(await ctx.send(prefix))) return
    while (await ctx.send(chunk)) {
      // keep going until the client gives up
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * A numbered stream that honours Last-Event-ID.
 * ------------------------------------------------------------------------------------------- */

/** What the resumable stream does to one response. */
export interface ResumeFault {
  /** Body bytes to send before the ending (default: the rest of the stream). */
  cutAfter?: number
  /** How the response ends after them (default 'hold' once the whole stream is out, else 'cut'). */
  then?: Ending
  /** Pause this long before sending anything (the body never starts for that long). */
  stallFirstMs?: number
  /** Answer this status instead of a stream (e.g. 503), with `Retry-After` when given. */
  status?: number
  retryAfter?: string
  /** Answer a redirect to this path on the same server instead (which must serve the stream too). */
  redirectTo?: string
  /** Write the body in pieces of this size (default one write). */
  chunkSize?: number
}

/** What the server knows about one response when it picks its fault. */
export interface ResumeInfo {
  /** Requests to the stream so far, this one excluded. */
  attempt: number
  /** The id the client resumes after (0 without Last-Event-ID). */
  from: number
  /** Body bytes the response would carry without a fault (from the event after `from` to the end). */
  remaining: number
  request: FaultRequest
}

export interface ResumableStream {
  handler: FaultHandler
  /** The `data` of the event with this id (1-based). */
  dataOf(id: number): string
  /** The event type of the event with this id ('message' for most). */
  typeOf(id: number): string
  /** How many events there are. */
  total: number
  /** The full body, from the first event. */
  bytes: Buffer
}

/**
 * A stream of `total` events with ids 1..total whose payloads check themselves (see
 * {@link numberedEvent}): multi-line data with 2-, 3- and 4-byte UTF-8 characters, LF, CRLF and CR
 * line endings, comments and an event type here and there. A request with `Last-Event-ID: k` gets the events after k. Each response
 * starts with `retry: <retryMs>`; `fault(info)` decides what goes wrong with it.
 */
export function resumableStream(
  total: number,
  fault: (info: ResumeInfo) => ResumeFault | undefined,
  { retryMs = 1 }: { retryMs?: number } = {},
): ResumableStream {
  const parts: Buffer[] = []
  /** offsets[k]: where the event with id k+1 starts in `bytes`. */
  const offsets: number[] = []
  let length = 0
  for (let id = 1; id <= total; id++) {
    offsets.push(length)
    const buffer = Buffer.from(numberedEvent(id), 'utf8')
    parts.push(buffer)
    length += buffer.length
  }
  offsets.push(length)
  const bytes = Buffer.concat(parts)
  let attempt = 0

  const handler: FaultHandler = async (ctx) => {
    const from = Math.min(total, Math.max(0, Number.parseInt(ctx.request.lastEventId ?? '0', 10) || 0))
    const rest = bytes.subarray(offsets[from])
    const chosen = fault({ attempt: attempt++, from, remaining: rest.length, request: ctx.request }) ?? {}
    if (chosen.redirectTo !== undefined) {
      ctx.res.writeHead(307, { location: chosen.redirectTo })
      ctx.res.end()
      return
    }
    if (chosen.stallFirstMs !== undefined && !(await ctx.pause(chosen.stallFirstMs))) return
    if (chosen.status !== undefined) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' }
      if (chosen.retryAfter !== undefined) headers['retry-after'] = chosen.retryAfter
      ctx.res.writeHead(chosen.status, headers)
      ctx.res.end('failing on purpose')
      return
    }
    ctx.head()
    if (!(await ctx.send(`retry: ${retryMs}\n\n`))) return
    const cut = chosen.cutAfter === undefined ? rest.length : Math.min(chosen.cutAfter, rest.length)
    if (!(await sendBody(ctx, rest.subarray(0, cut), { chunkSize: chosen.chunkSize }))) return
    ctx.finish(chosen.then ?? (cut >= rest.length ? 'hold' : 'cut'))
  }
  return { handler, dataOf: numberedData, typeOf: numberedType, total, bytes }
}

/** The `data` of numbered event `id`: multi-line, with 2-, 3- and 4-byte characters, sometimes an empty line. */
export function numberedData(id: number): string {
  return id % 7 === 0 ? `${id}` : `${id}:é€😀:${'x'.repeat(id % 13)}\nline2 of ${id}${id % 5 === 0 ? '\n\nafter a blank data line' : ''}`
}

/** The event type of numbered event `id`. */
export function numberedType(id: number): string {
  return id % 11 === 0 ? 'tick' : 'message'
}

/**
 * Numbered event `id` as stream text, blank line included: LF, CRLF or CR line endings by turns,
 * a comment now and then, `id:` always, `event:` for some.
 */
export function numberedEvent(id: number): string {
  const eol = ['\n', '\r\n', '\r'][id % 3]
  let text = ''
  if (id % 17 === 0) text += `: comment before ${id}${eol}`
  text += `id: ${id}${eol}`
  if (numberedType(id) !== 'message') text += `event: ${numberedType(id)}${eol}`
  for (const line of numberedData(id).split('\n')) text += `data: ${line}${eol}`
  return text + eol
}

/** A small, seedable PRNG (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
