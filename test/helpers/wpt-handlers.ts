/**
 * Loopback routes that behave like the resource handlers of the web-platform-tests `eventsource/`
 * suite (message, status-error, status-reconnect, reconnect-fail, last-event-id, header echo,
 * redirect), written from their observable behaviour. Where WPT tells requests apart with a
 * cookie, these use the server's per-path attempt count instead (Node's fetch keeps no cookies).
 */
import type { IncomingMessage } from 'node:http'
import { startStream, type RouteHandler } from './server'

/** Answers `status` with `headers` and `body`, then ends the response. */
function answer(status: number, headers: Record<string, string>, body: string | Buffer): RouteHandler {
  return (_req, res) => {
    res.writeHead(status, headers)
    res.end(body)
  }
}

export interface MessageOptions {
  /** The stream text (or raw bytes); default `data: data`. */
  message?: string | Buffer
  /** The Content-Type; default `text/event-stream`. */
  mime?: string
  /** `'none'` appends nothing after the message; by default a blank line follows it. */
  newline?: 'none'
  /** Waits this long before answering at all. */
  sleepMs?: number
}

/**
 * Like WPT's message.py: the message, then (unless `newline: 'none'`) an empty line, then one more
 * line feed; the response ends there, so the source reconnects afterwards.
 */
export function messageHandler({
  message = 'data: data',
  mime = 'text/event-stream',
  newline,
  sleepMs = 0,
}: MessageOptions = {}): RouteHandler {
  const body = Buffer.concat([
    Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8'),
    Buffer.from(newline === 'none' ? '\n' : '\n\n\n', 'utf8'),
  ])
  return async (req, res) => {
    if (sleepMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, sleepMs))
      if (req.destroyed || res.destroyed) return
    }
    res.writeHead(200, { 'content-type': mime })
    res.end(body)
  }
}

/** Like WPT's status-error.py: `status` with an event-stream body (empty for 204 and 205). */
export function statusErrorHandler(status: number): RouteHandler {
  const body = status === 204 || status === 205 ? '' : 'data: data\n\n'
  return answer(status, { 'content-type': 'text/event-stream' }, body)
}

/**
 * Like WPT's status-reconnect.py: the first request gets `status` and a body of `retry: <retryMs>`
 * (plus `data: ok` when `okFirst`), every later one 200 with `data: data`.
 */
export function statusReconnectHandler({ status = 200, okFirst = false, retryMs = 2 } = {}): RouteHandler {
  return (req, res, request) => {
    if (request.attempt === 0) {
      answer(status, { 'content-type': 'text/event-stream' }, `retry: ${retryMs}\n${okFirst ? 'data: ok\n\n' : ''}`)(req, res, request)
    } else {
      answer(200, { 'content-type': 'text/event-stream' }, 'data: data\n\n')(req, res, request)
    }
  }
}

/**
 * Like WPT's reconnect-fail.py: 1st request 200 `retry: 2` + `data: opened`, 2nd 200
 * `data: reconnected`, 3rd and later 204 (which fails the connection).
 */
export function reconnectFailHandler(): RouteHandler {
  return (req, res, request) => {
    const headers = { 'content-type': 'text/event-stream' }
    if (request.attempt === 0) answer(200, headers, 'retry: 2\ndata: opened\n\n')(req, res, request)
    else if (request.attempt === 1) answer(200, headers, 'data: reconnected\n\n')(req, res, request)
    else answer(204, headers, '')(req, res, request)
  }
}

/**
 * The `Last-Event-ID` request header as the bytes that went over the wire. Node decodes header
 * bytes as latin1, so re-encoding as latin1 gives them back.
 */
export function lastEventIdBytes(headers: IncomingMessage['headers']): Buffer | undefined {
  const value = headers['last-event-id']
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : undefined
}

/**
 * Like WPT's last-event-id.py: a request carrying `Last-Event-ID` gets it echoed back (the same
 * bytes) as `data:`; one without gets `id: <idBytes>`, `retry: <retryMs>`, `data: hello`.
 */
export function lastEventIdHandler(idBytes: Buffer | string = '…', retryMs = 10): RouteHandler {
  const id = Buffer.isBuffer(idBytes) ? idBytes : Buffer.from(idBytes, 'utf8')
  return (req, res) => {
    const echoed = lastEventIdBytes(req.headers)
    const body =
      echoed && echoed.length > 0
        ? Buffer.concat([Buffer.from('data: '), echoed, Buffer.from('\n\n')])
        : Buffer.concat([Buffer.from('id: '), id, Buffer.from(`\nretry: ${retryMs}\ndata: hello\n\n`)])
    startStream(res).end(body)
  }
}

/** Like WPT's accept.event_stream / cache-control.event_stream: echoes one request header as `data:`. */
export function echoHeaderHandler(name: string): RouteHandler {
  return (req, res) => {
    const value = req.headers[name.toLowerCase()]
    startStream(res).end(`data: ${Array.isArray(value) ? value.join(', ') : (value ?? '')}\n\n`)
  }
}

/** Like WPT's /common/redirect.py: answers `status` with a `Location` of `location`. */
export function redirectHandler(status: number, location: string): RouteHandler {
  return answer(status, { location, 'content-type': 'text/plain' }, 'redirecting')
}

/**
 * Like WPT's message2.py: an event stream written in many small pieces, with a pause between them so
 * they reach the client as separate chunks; the response stays open afterwards.
 */
export function trickleHandler(pieces: (string | Buffer)[], pauseMs = 5): RouteHandler {
  return async (_req, res) => {
    startStream(res)
    for (const piece of pieces) {
      if (res.destroyed) return
      res.write(piece)
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
}

/** How many raw header lines named `name` (any case) a request carried. */
export function rawHeaderCount(rawHeaders: string[], name: string): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name.toLowerCase()) count++
  return count
}

let routeCount = 0
/** A fresh path per use, so attempt counts and recorded requests never mix between tests. */
export function freshPath(name: string): string {
  routeCount += 1
  return `/${name}-${routeCount}`
}
