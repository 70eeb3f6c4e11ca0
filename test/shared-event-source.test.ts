/**
 * SharedEventSource outside a browser. Where Web Locks or BroadcastChannel is missing (Node
 * before 24, Bun) it behaves as an EventSource with the same options: the core scenarios below run
 * against it exactly as against EventSource. Where both exist (Node 24+, Deno) sources in one
 * process share a connection, and the same scenarios hold for the one source that leads. The
 * sharing itself between pages and workers is tested in headless Chromium
 * (test/browser/shared-event-source.test.ts).
 */
import { EventSourceErrorEvent, SharedEventSource, type SharedEventSourceInit } from '../src'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { perAttempt, startServer, streamAndHold, streamThenEnd, type RouteHandler, type TestServer } from './helpers/server'

/** Whether this runtime has what sharing needs: then sources in this process share. */
const canShare =
  typeof (globalThis as { navigator?: { locks?: { request?: unknown } } }).navigator?.locks?.request === 'function' &&
  typeof BroadcastChannel === 'function'

let server: TestServer
const sources: SharedEventSource[] = []

beforeEach(async () => {
  server = await startServer()
})
afterEach(async () => {
  sources.splice(0).forEach((source) => source.close())
  await server.close()
})

function open(path: string, init?: SharedEventSourceInit, route?: RouteHandler): SharedEventSource {
  if (route) server.route(path, route)
  const source = new SharedEventSource(server.url(path), init)
  sources.push(source)
  return source
}

describe('SharedEventSource has the EventSource interface', () => {
  test('is an EventTarget with url, withCredentials, readyState, the constants and toStringTag', () => {
    const source = open('/interface', { withCredentials: true }, streamAndHold(''))
    expect(source).toBeInstanceOf(SharedEventSource)
    expect(source).toBeInstanceOf(EventTarget)
    expect(source.url).toBe(server.url('/interface'))
    expect(source.withCredentials).toBe(true)
    expect(source.readyState).toBe(SharedEventSource.CONNECTING)
    expect([SharedEventSource.CONNECTING, SharedEventSource.OPEN, SharedEventSource.CLOSED]).toEqual([0, 1, 2])
    expect([source.CONNECTING, source.OPEN, source.CLOSED]).toEqual([0, 1, 2])
    expect(Object.prototype.toString.call(source)).toBe('[object SharedEventSource]')
  })

  test('throws a SyntaxError DOMException for a URL that does not parse', () => {
    expect(() => new SharedEventSource('not a url')).toThrow(expect.objectContaining({ name: 'SyntaxError' }))
  })

  test('checks every EventSource option at construction, naming it', () => {
    expect(() => new SharedEventSource(server.url('/x'), { retryDelay: -1 })).toThrow(RangeError)
    expect(() => new SharedEventSource(server.url('/x'), { retryDelay: -1 })).toThrow(/`retryDelay`/)
    expect(() => new SharedEventSource(server.url('/x'), { headers: 5 as never })).toThrow(TypeError)
  })

  test('throws a TypeError naming `shareKey` when it is not a string', () => {
    expect(() => new SharedEventSource(server.url('/x'), { shareKey: 7 as never })).toThrow(
      new TypeError('SharedEventSource: `shareKey` must be a string, got 7'),
    )
  })
})

describe('SharedEventSource behaves as EventSource (the source that leads, or the only one)', () => {
  test('dispatches open, then message events with their type, data, lastEventId and origin', async () => {
    const source = open('/messages', undefined, streamAndHold('id: 1\ndata: one\n\nevent: update\nid: 2\ndata: two\n\n'))
    const events = recordEvents(source, ['open', 'message', 'update', 'error'])
    await waitFor(() => events.length === 3)
    expect(typesOf(events)).toEqual(['open', 'message', 'update'])
    expect(events[1]).toMatchObject({ data: 'one', lastEventId: '1', origin: server.origin, readyState: 1 })
    expect(events[2]).toMatchObject({ data: 'two', lastEventId: '2', origin: server.origin })
    expect(events[1].event).toBeInstanceOf(MessageEvent)
    expect(events[1].event.target).toBe(source)
  })

  test('onopen, onmessage and onerror run in order with the listeners, with this = the source', async () => {
    const source = open('/handlers', { retryDelay: 10 }, perAttempt(streamThenEnd('data: one\n\n'), streamAndHold('')))
    const calls: string[] = []
    source.addEventListener('open', () => calls.push('open listener'))
    source.onopen = function () {
      calls.push(`onopen ${this === source}`)
    }
    source.onmessage = (event) => calls.push(`onmessage ${event.data}`)
    source.onerror = (event) => calls.push(`onerror ${(event as EventSourceErrorEvent).kind}`)
    await waitFor(() => calls.length === 6)
    expect(calls).toEqual(['open listener', 'onopen true', 'onmessage one', 'onerror end', 'open listener', 'onopen true'])
  })

  test('reconnects after the end of the stream with Last-Event-ID, after an error of kind end in CONNECTING', async () => {
    const source = open('/reconnect', { retryDelay: 10 }, perAttempt(streamThenEnd('id: 7\ndata: a\n\n'), streamAndHold('data: b\n\n')))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 2)
    expect(typesOf(events)).toEqual(['open', 'message', 'error', 'open', 'message'])
    expect(events[2]).toMatchObject({ readyState: 0 })
    expect((events[2].event as EventSourceErrorEvent).kind).toBe('end')
    expect(server.requestsTo('/reconnect').map((r) => r.headers['last-event-id'])).toEqual([undefined, '7'])
  })

  test('fails the connection on HTTP 401: an EventSourceErrorEvent with the status, CLOSED, no reconnection', async () => {
    const source = open('/unauthorized', { retryDelay: 10 }, (_req, res) => void res.writeHead(401).end())
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    await settle(60)
    expect(events).toHaveLength(1)
    const error = events[0].event as EventSourceErrorEvent
    expect(error).toBeInstanceOf(EventSourceErrorEvent)
    expect({ readyState: events[0].readyState, kind: error.kind, status: error.status, retryDelay: error.retryDelay }).toEqual({
      readyState: 2,
      kind: 'http',
      status: 401,
      retryDelay: undefined,
    })
    expect(source.readyState).toBe(2)
    expect(server.requestsTo('/unauthorized')).toHaveLength(1)
  })

  test('uses the EventSource options: method, body, a headers function and lastEventId', async () => {
    const echo: RouteHandler = (req, res, request) =>
      void streamAndHold(`data: ${request.method} ${request.body} ${req.headers['x-token']} ${req.headers['last-event-id']}\n\n`)(
        req,
        res,
        request,
      )
    const source = open('/options', { method: 'POST', body: 'q', headers: () => ({ 'x-token': 't1' }), lastEventId: 'from-7' }, echo)
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    expect(dataOf(events)).toEqual(['POST q t1 from-7'])
  })

  test('close() ends the request (the server sees it), and nothing is dispatched after it', async () => {
    let closedAtServer = false
    const source = open('/close', undefined, (req, res, request) => {
      res.on('close', () => (closedAtServer = true))
      streamAndHold('data: first\n\n')(req, res, request)
      setTimeout(() => !res.destroyed && res.write('data: after close\n\n'), 30)
    })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    source.close()
    expect(source.readyState).toBe(2)
    await waitFor(() => closedAtServer, { message: 'the server to see the connection end' })
    await settle(50)
    expect(typesOf(events)).toEqual(['open', 'message'])
  })

  test('an aborted signal closes the source; one aborted before construction leaves it CLOSED without a request', async () => {
    const controller = new AbortController()
    const source = open('/signal', { signal: controller.signal }, streamAndHold('data: x\n\n'))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    controller.abort()
    expect(source.readyState).toBe(2)

    const early = open('/signal-early', { signal: AbortSignal.abort() }, streamAndHold(''))
    expect(early.readyState).toBe(2)
    await settle(30)
    expect(server.requestsTo('/signal-early')).toHaveLength(0)
  })
})

describe('sharing in this runtime', () => {
  const expected = canShare
    ? 'one connection for two sources with one key (Web Locks and BroadcastChannel exist here)'
    : 'a connection per source (no Web Locks here: each behaves as an EventSource)'
  test(`two sources with the same URL and shareKey: ${expected}`, async () => {
    server.route('/two', streamAndHold('id: 1\ndata: hello\n\n'))
    const first = open('/two')
    const second = open('/two')
    const firstEvents = recordEvents(first)
    const secondEvents = recordEvents(second)
    await waitFor(() => dataOf(firstEvents).length === 1 && dataOf(secondEvents).length === 1)
    await settle(30)
    expect(server.requestsTo('/two')).toHaveLength(canShare ? 1 : 2)
    for (const events of [firstEvents, secondEvents]) expect(typesOf(events)).toEqual(['open', 'message'])
  })
})
