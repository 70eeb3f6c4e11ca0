import { createServer } from 'node:net'
import { EventSource, EventSourceErrorEvent } from '../src'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream, streamAndHold, streamThenEnd } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

describe('announce the connection (HTML § 9.2.3; constructor step 15.4)', () => {
  test('a 200 text/event-stream response sets readyState to OPEN, then fires open', async () => {
    server.route('/s', streamAndHold(':\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    expect(events[0]).toMatchObject({ type: 'open', readyState: EventSource.OPEN })
    expect(events[0].event).toBeInstanceOf(Event)
    expect(source.readyState).toBe(EventSource.OPEN)
  })

  test('onopen receives the open event, and the open event comes before any message', async () => {
    server.route('/s', streamAndHold('data: first\n\n'))
    const source = open('/s')
    const order: string[] = []
    source.onopen = () => order.push('onopen')
    source.onmessage = (event) => order.push(`message:${event.data}`)
    await waitFor(() => order.length === 2)
    expect(order).toEqual(['onopen', 'message:first'])
  })

  test.each(['text/event-stream; charset=utf-8', 'Text/Event-Stream', 'text/event-stream;', ' text/event-stream ; foo=bar'])(
    'a content type whose MIME essence is text/event-stream is accepted: %j',
    async (contentType) => {
      server.route('/s', streamAndHold('data: ok\n\n', { 'content-type': contentType }))
      const source = open('/s')
      const events = recordEvents(source)
      await waitFor(() => dataOf(events).length === 1)
      expect(typesOf(events)).toEqual(['open', 'message'])
    },
  )
})

describe('fail the connection (HTML § 9.2.3; constructor step 15.3)', () => {
  async function expectFailure(path: string): Promise<void> {
    const source = open(path, { retryDelay: 1 })
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    await settle(50)
    expect(typesOf(events)).toEqual(['error'])
    expect(events[0].readyState).toBe(EventSource.CLOSED)
    expect(source.readyState).toBe(EventSource.CLOSED)
    expect(server.requestsTo(path)).toHaveLength(1)
  }

  test.each([204, 201, 301, 400, 401, 403, 404, 500, 502, 503])(
    'HTTP %i fails the connection: readyState CLOSED, one error event, no reconnection',
    async (status) => {
      server.route('/s', (_req, res) => {
        res.writeHead(status, { 'content-type': 'text/event-stream' })
        res.end(status === 204 ? undefined : 'data: not delivered\n\n')
      })
      await expectFailure('/s')
    },
  )

  test.each(['text/plain', 'text/html', 'application/json', 'text/event-streamx', 'text/event-stream-x; a=b'])(
    'a content type other than text/event-stream fails the connection: %j',
    async (contentType) => {
      server.route('/s', (_req, res) => res.writeHead(200, { 'content-type': contentType }).end('data: no\n\n'))
      await expectFailure('/s')
    },
  )

  test('a response without a content type fails the connection', async () => {
    server.route('/s', (_req, res) => {
      res.removeHeader('content-type')
      res.writeHead(200).end('data: no\n\n')
    })
    await expectFailure('/s')
  })

  test('the error event of a failed connection is an EventSourceErrorEvent with no retry', async () => {
    server.route('/s', (_req, res) => res.writeHead(404, 'Not Found').end())
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    const error = events[0].event as EventSourceErrorEvent
    expect(error).toBeInstanceOf(EventSourceErrorEvent)
    expect(error).toMatchObject({ type: 'error', kind: 'http', status: 404, message: 'HTTP 404 Not Found', retryDelay: undefined })
  })

  test('a failed response body is cancelled, so the server sees the connection go', async () => {
    let closed = false
    server.route('/s', (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.write('an endless error body')
      res.on('close', () => (closed = true))
    })
    open('/s')
    await waitFor(() => closed, { message: 'the server to see the error body cancelled' })
  })
})

describe('reestablish the connection (HTML § 9.2.3)', () => {
  test('the end of the body sets readyState CONNECTING and fires error, then reconnects', async () => {
    server.route('/s', streamThenEnd('retry: 10\ndata: a\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.length >= 4)
    expect(typesOf(events).slice(0, 4)).toEqual(['open', 'message', 'error', 'open'])
    expect(events[2].readyState).toBe(EventSource.CONNECTING)
    expect(server.requestsTo('/s').length).toBeGreaterThanOrEqual(2)
  })

  test('a network error before any response reestablishes the connection', async () => {
    // A port that accepts and immediately resets every connection.
    const resetter = createServer((socket) => socket.resetAndDestroy())
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve))
    const port = (resetter.address() as { port: number }).port
    try {
      const source = open(`http://127.0.0.1:${port}/`, { retryDelay: 10 })
      const events = recordEvents(source)
      await waitFor(() => events.length >= 2)
      expect(typesOf(events).slice(0, 2)).toEqual(['error', 'error'])
      expect(events[0].readyState).toBe(EventSource.CONNECTING)
      expect((events[0].event as EventSourceErrorEvent).kind).toBe('network')
    } finally {
      resetter.close()
    }
  })

  test('a connection dropped mid-stream reestablishes and resumes with Last-Event-ID', async () => {
    let attempt = 0
    server.route('/s', (_req, res) => {
      attempt += 1
      if (attempt === 1) {
        startStream(res).write('retry: 10\nid: 1\ndata: one\n\ndata: half')
        setTimeout(() => res.destroy(), 20)
      } else {
        startStream(res).write('id: 2\ndata: two\n\n')
      }
    })
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 2)
    expect(dataOf(events)).toEqual(['one', 'two'])
    expect(typesOf(events)).toEqual(['open', 'message', 'error', 'open', 'message'])
    expect(server.requests[1].headers['last-event-id']).toBe('1')
  })

  test('waits the reconnection time set by retry: before reconnecting (steps 3–4)', async () => {
    server.route('/s', streamThenEnd('retry: 300\ndata: a\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'error'))
    const erroredAt = Date.now()
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(Date.now() - erroredAt).toBeGreaterThanOrEqual(290)
  })

  test('an error handler that calls close() stops the reconnection (step 5.1)', async () => {
    server.route('/s', streamThenEnd('retry: 5\ndata: a\n\n'))
    const source = open('/s')
    source.onerror = () => source.close()
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(60)
    expect(server.requests).toHaveLength(1)
  })
})
