import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as the test server saw it. */
export interface RecordedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  /** Header names lower-cased; values as Node decodes them (latin1 for raw bytes). */
  headers: IncomingMessage['headers']
  /** Raw header pairs in the order they arrived, so duplicates can be seen. */
  rawHeaders: string[]
  body: string
  /** How many requests this path (without its query) had seen before this one, starting at 0. */
  attempt: number
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, request: RecordedRequest) => unknown

/** A loopback HTTP server on a random port, with one handler per path. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  port: number
  /** An absolute URL on this server for `path` (which starts with `/`). */
  url(path: string): string
  /** Every request received so far, in arrival order. */
  requests: RecordedRequest[]
  /** The requests made to one path (query ignored). */
  requestsTo(path: string): RecordedRequest[]
  /** Adds or replaces the handler of a path (query ignored). */
  route(path: string, handler: RouteHandler): void
  /** Closes the server and every connection still open. */
  close(): Promise<void>
}

/** Starts a test server on 127.0.0.1 on a random port. */
export async function startServer(routes: Record<string, RouteHandler> = {}): Promise<TestServer> {
  const handlers = new Map<string, RouteHandler>(Object.entries(routes))
  const requests: RecordedRequest[] = []
  const attempts = new Map<string, number>()

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]
      const attempt = attempts.get(path) ?? 0
      attempts.set(path, attempt + 1)
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        attempt,
      }
      requests.push(recorded)
      const handler = handlers.get(path)
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no route')
        return
      }
      Promise.resolve(handler(req, res, recorded)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    })
  })
  // Keep-alive connections must not hold the server open after a test.
  server.keepAliveTimeout = 100

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`

  return {
    origin,
    port,
    url: (path) => origin + path,
    requests,
    requestsTo: (path) => requests.filter((r) => r.url.split('?')[0] === path),
    route: (path, handler) => void handlers.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Writes the head of a well-formed event stream response. */
export function startStream(res: ServerResponse, headers: Record<string, string> = {}): ServerResponse {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...headers,
  })
  res.flushHeaders()
  return res
}

/** A handler that answers with a complete event stream body and then ends the response. */
export function streamThenEnd(body: string | Buffer, headers: Record<string, string> = {}): RouteHandler {
  return (_req, res) => {
    startStream(res, headers).end(body)
  }
}

/** A handler that answers with an event stream body and keeps the response open. */
export function streamAndHold(body: string | Buffer, headers: Record<string, string> = {}): RouteHandler {
  return (_req, res) => {
    startStream(res, headers).write(body)
  }
}

/** A handler that answers each attempt (0, 1, 2, …) with its own handler; the last one repeats. */
export function perAttempt(...handlers: RouteHandler[]): RouteHandler {
  return (req, res, request) => handlers[Math.min(request.attempt, handlers.length - 1)](req, res, request)
}

/**
 * A handler that writes `pieces` one at a time with a pause between them, so that each reaches
 * the client as its own chunk; then ends the response, or holds it open with `hold`.
 */
export function streamInPieces(
  pieces: (string | Buffer)[],
  { gapMs = 15, hold = false }: { gapMs?: number; hold?: boolean } = {},
): RouteHandler {
  return async (_req, res) => {
    startStream(res)
    for (const piece of pieces) {
      if (res.destroyed) return
      res.write(piece)
      await new Promise((resolve) => setTimeout(resolve, gapMs))
    }
    if (!hold) res.end()
  }
}
