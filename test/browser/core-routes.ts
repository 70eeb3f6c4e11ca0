/**
 * The server side of the core scenarios (the client side is fixtures/core-scenarios.js), and what
 * the HTML standard (§ 9.2 Server-sent events) says each must produce. Used by the Chromium tests
 * (ours from the built files beside the browser's own EventSource) and by the Node comparison with
 * Node's own EventSource (test/node-versions/).
 *
 * Each scenario is served under its own path per implementation (`/core/<scenario>/<impl>`), so
 * the server's per-path attempt count belongs to one source.
 */
import type { IncomingMessage } from 'node:http'
import { perAttempt, startStream, streamInPieces, type RouteHandler, type TestServer } from '../helpers/server'

export type ScenarioName =
  | 'parsing'
  | 'lifecycle'
  | 'lastEventId'
  | 'lastEventIdReset'
  | 'close'
  | 'httpError'
  | 'contentType'
  | 'redirect'
  | 'droppedConnection'
  | 'attributes'

export interface CoreScenario {
  name: ScenarioName
  /** The rule the scenario proves, for test names. */
  rule: string
  /** Serves the scenario at `base` (and paths below it, for redirects). */
  install(server: TestServer, base: string): void
  /** What the scenario's result must be, per the spec, for a stream served from `origin`. */
  expected(origin: string, base: string): unknown
  /** Checks on what the server saw, beyond the client's log. */
  checkRequests?(server: TestServer, base: string): void
}

const held =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).write(body)
const ended =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).end(body)

/**
 * Echoes the request's Last-Event-ID header (or `none`) as one message, and holds the stream. The
 * header's bytes go back as they came (Node hands them over as latin1), so a UTF-8 id round-trips.
 */
const echoLastEventId: RouteHandler = (req: IncomingMessage, res) => {
  const header = req.headers['last-event-id']
  const value = header === undefined ? Buffer.from('none') : Buffer.from(String(header), 'latin1')
  startStream(res).write(Buffer.concat([Buffer.from('data: '), value, Buffer.from('\n\n')]))
}

const message = (data: string, lastEventId: string, origin: string, readyState = 1, type = 'message') => ({
  type,
  readyState,
  data,
  lastEventId,
  origin,
  isMessageEvent: true,
})
const open = { type: 'open', readyState: 1 }
const errorConnecting = { type: 'error', readyState: 0 }
const errorClosed = { type: 'error', readyState: 2 }

export const coreScenarios: CoreScenario[] = [
  {
    name: 'parsing',
    rule: 'interprets fields, comments, CR/LF/CRLF line ends, a leading BOM, event types and ids, across chunk boundaries',
    install(server, base) {
      server.route(
        base,
        streamInPieces(
          [
            '\uFEFFdata: first\n\n',
            ': a comment\ndata:no space\ndata:  two spaces\n\n',
            'data: cr\rdata: lines\r\r',
            'data: crlf\r\ndata: lines\r\n\r\n',
            'event: ping\ndata: typed\n\n',
            'event: custom type\ndata: spaced type\n\n',
            'event:\ndata: empty type\n\n',
            'id: 7\ndata: with id\n\n',
            'data: keeps id\n\n',
            'unknown: field\ndata\n\n',
            'Data: wrong case\nDATA: x\n\n',
            'retry: nonsense\ndata: da',
            'ta split\n',
            '\n',
            'data: multi',
            'byte é ✓ 😀\n\n',
            'id: bad\0id\ndata: null id ignored\n\n',
            'data: end\n\n',
          ],
          { hold: true, gapMs: 5 },
        ),
      )
    },
    expected: (origin) => [
      open,
      message('first', '', origin),
      message('no space\n two spaces', '', origin),
      message('cr\nlines', '', origin),
      message('crlf\nlines', '', origin),
      message('typed', '', origin, 1, 'ping'),
      message('spaced type', '', origin, 1, 'custom type'),
      message('empty type', '', origin),
      message('with id', '7', origin),
      message('keeps id', '7', origin),
      message('', '7', origin),
      message('data split', '7', origin),
      message('multibyte é ✓ 😀', '7', origin),
      message('null id ignored', '7', origin),
      message('end', '7', origin),
    ],
  },
  {
    name: 'lifecycle',
    rule: 'dispatches open, message, error (CONNECTING) on the end of the stream, reconnects, and fails with CLOSED on a 204',
    install(server, base) {
      server.route(
        base,
        perAttempt(ended('retry: 20\ndata: first\n\n'), ended('data: second\n\n'), (_req, res) => void res.writeHead(204).end()),
      )
    },
    expected: (origin) => [
      open,
      message('first', '', origin),
      errorConnecting,
      open,
      message('second', '', origin),
      errorConnecting,
      errorClosed,
    ],
    checkRequests(server, base) {
      expect(server.requestsTo(base)).toHaveLength(3)
    },
  },
  {
    name: 'lastEventId',
    rule: 'sends the last event ID as Last-Event-ID when it reconnects',
    install(server, base) {
      server.route(base, perAttempt(ended('retry: 20\nid: abc é\ndata: one\n\n'), echoLastEventId))
    },
    expected: (origin) => [open, message('one', 'abc é', origin), errorConnecting, open, message('abc é', 'abc é', origin)],
    checkRequests(server, base) {
      const [first, second] = server.requestsTo(base)
      expect(first.headers['last-event-id']).toBeUndefined()
      // The header travels as the id's UTF-8 bytes; Node decodes header values as latin1.
      expect(Buffer.from(String(second.headers['last-event-id']), 'latin1').toString('utf8')).toBe('abc é')
    },
  },
  {
    name: 'lastEventIdReset',
    rule: 'an empty id field resets the last event ID, and the reconnection then sends no Last-Event-ID',
    install(server, base) {
      server.route(base, perAttempt(ended('retry: 20\nid: 1\ndata: one\n\nid\ndata: two\n\n'), echoLastEventId))
    },
    expected: (origin) => [
      open,
      message('one', '1', origin),
      message('two', '', origin),
      errorConnecting,
      open,
      message('none', '', origin),
    ],
  },
  {
    name: 'close',
    rule: 'close() sets CLOSED at once and nothing is dispatched after it, not even the rest of the chunk',
    install(server, base) {
      server.route(base, held('data: 1\n\ndata: 2\n\n'))
    },
    expected: (origin) => [open, message('1', '', origin), { closed: 2 }],
    checkRequests(server, base) {
      expect(server.requestsTo(base)).toHaveLength(1)
    },
  },
  {
    name: 'httpError',
    rule: 'a status other than 200 fails the connection: one error, CLOSED, no reconnection',
    install(server, base) {
      server.route(base, (_req, res) => void res.writeHead(503, { 'content-type': 'text/event-stream' }).end('data: not for you\n\n'))
    },
    expected: () => [errorClosed],
    checkRequests(server, base) {
      expect(server.requestsTo(base)).toHaveLength(1)
    },
  },
  {
    name: 'contentType',
    rule: 'a Content-Type other than text/event-stream fails the connection',
    install(server, base) {
      server.route(base, (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('data: not a stream\n\n'))
    },
    expected: () => [errorClosed],
    checkRequests(server, base) {
      expect(server.requestsTo(base)).toHaveLength(1)
    },
  },
  {
    name: 'redirect',
    rule: 'follows a redirect; the message origin is the final URL’s, the url attribute the one given',
    install(server, base) {
      server.route(base, (_req, res) => void res.writeHead(302, { location: `${base}/target` }).end())
      server.route(`${base}/target`, held('data: moved\n\n'))
    },
    expected: (origin) => [open, message('moved', '', origin)],
  },
  {
    name: 'droppedConnection',
    rule: 'reconnects after the server drops the connection mid-stream',
    install(server, base) {
      server.route(
        base,
        perAttempt((_req, res) => {
          startStream(res).write('retry: 20\ndata: before\n\n')
          setTimeout(() => res.destroy(), 30)
        }, held('data: after\n\n')),
      )
    },
    expected: (origin) => [open, message('before', '', origin), errorConnecting, open, message('after', '', origin)],
  },
  {
    name: 'attributes',
    rule: 'constructor and attributes: CONNECTING, url, withCredentials, the constants, null handlers',
    install(server, base) {
      server.route(base, held(''))
    },
    expected: (origin, base) => ({
      readyState: 0,
      url: origin + base,
      withCredentials: true,
      constants: [0, 1, 2],
      instanceConstants: [0, 1, 2],
      handlers: [null, null, null],
      isEventTarget: true,
      afterClose: 2,
      defaultWithCredentials: false,
    }),
  },
]

/** The result object a scenario resolves with (the `attributes` scenario's is its own). */
export interface ScenarioResult {
  log: unknown[]
  url: string
  readyState: number
}

/** The client side, as fixtures/core-scenarios.js exports it. */
export interface CoreScenariosApi {
  names: ScenarioName[]
  scenarios: Record<ScenarioName, (eventSourceClass: unknown, url: string) => Promise<unknown>>
}

/** The part of a result the expectations cover. */
export function comparable(name: ScenarioName, result: unknown): unknown {
  return name === 'attributes' ? result : (result as ScenarioResult).log
}
