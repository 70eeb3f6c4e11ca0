import { createServer as createNetServer } from 'node:net'
import { EventSource, EventSourceErrorEvent, constantBackoff, type ConnectionFailure, type FailureKind } from '../src'
import { recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream, type RouteHandler } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

/** One route per failure kind; each fails the same way on every attempt. */
const failures: Record<FailureKind, { handler: RouteHandler; retriedByDefault: boolean; init?: object }> = {
  http: { handler: (_req, res) => res.writeHead(503, 'Service Unavailable').end(), retriedByDefault: false },
  'content-type': {
    handler: (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'),
    retriedByDefault: false,
  },
  network: { handler: (req) => req.socket.destroy(), retriedByDefault: true },
  timeout: { handler: (_req, res) => startStream(res), retriedByDefault: true, init: { readTimeout: 30 } },
  end: { handler: (_req, res) => startStream(res).end('data: x\n\n'), retriedByDefault: true },
  'event-size': {
    handler: (_req, res) => startStream(res).write(`data: ${'x'.repeat(200)}`),
    retriedByDefault: false,
    init: { maxEventSize: 100 },
  },
}

describe('extension: shouldRetry, for every kind of failure', () => {
  describe.each(Object.keys(failures) as FailureKind[])('%s', (kind) => {
    const { handler, retriedByDefault, init } = failures[kind]
    beforeEach(() => server.route('/f', handler))

    test(`by default ${retriedByDefault ? 'reestablishes' : 'fails'} the connection (the spec's choice)`, async () => {
      const source = open(server.url('/f'), { retryDelay: 5, backoff: constantBackoff, ...init })
      const errors = recordEvents(source, ['error'])
      if (retriedByDefault) {
        await waitFor(() => server.requests.length >= 3)
        expect(errors[0].readyState).toBe(EventSource.CONNECTING)
      } else {
        await waitFor(() => errors.length === 1)
        await settle(40)
        expect(server.requests).toHaveLength(1)
        expect(errors[0].readyState).toBe(EventSource.CLOSED)
      }
      expect((errors[0].event as EventSourceErrorEvent).kind).toBe(kind)
    })

    test('shouldRetry returning true reconnects', async () => {
      const source = open(server.url('/f'), { retryDelay: 5, backoff: constantBackoff, shouldRetry: () => true, ...init })
      const errors = recordEvents(source, ['error'])
      await waitFor(() => server.requests.length >= 3)
      expect(errors[0].readyState).toBe(EventSource.CONNECTING)
      expect((errors[0].event as EventSourceErrorEvent).retryDelay).toBe(5)
    })

    test('shouldRetry returning false closes, with one error event', async () => {
      const source = open(server.url('/f'), { retryDelay: 5, shouldRetry: () => false, ...init })
      const events = recordEvents(source)
      await waitFor(() => source.readyState === EventSource.CLOSED)
      await settle(40)
      expect(events.filter((e) => e.type === 'error')).toHaveLength(1)
      expect(server.requests).toHaveLength(1)
    })
  })

  test('receives kind, status, headers, message, cause and the attempt count, as the error events do', async () => {
    server.route('/f', (_req, res) => res.writeHead(503, 'Service Unavailable', { 'x-reason': 'maintenance' }).end())
    const seen: ConnectionFailure[] = []
    const source = open(server.url('/f'), {
      retryDelay: 5,
      backoff: constantBackoff,
      shouldRetry: (failure) => {
        seen.push(failure)
        return seen.length < 3
      },
    })
    const errors = recordEvents(source, ['error'])
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(seen.map((f) => f.attempt)).toEqual([1, 2, 3])
    // The error events carry the same failure, and the attempt count too.
    expect(errors.map(({ event }) => (event as EventSourceErrorEvent).attempt)).toEqual([1, 2, 3])
    expect(errors[2].event).toMatchObject({ kind: 'http', status: 503, message: 'HTTP 503 Service Unavailable', retryDelay: undefined })
    expect(seen[0]).toMatchObject({ kind: 'http', status: 503, message: 'HTTP 503 Service Unavailable', cause: undefined })
    expect(seen[0].headers?.get('x-reason')).toBe('maintenance')
  })

  test('the documented policy keeps a stream alive through 5xx and 429 but fails at once on 401', async () => {
    const statuses = [503, 502, 429, 200, 401]
    server.route('/f', (_req, res, request) => {
      const status = statuses[Math.min(request.attempt, statuses.length - 1)]
      if (status === 200) startStream(res).end('retry: 5\ndata: ok\n\n')
      else res.writeHead(status).end()
    })
    const source = open(server.url('/f'), {
      retryDelay: 5,
      backoff: constantBackoff,
      shouldRetry: (f) => f.status === undefined || f.status >= 500 || f.status === 429,
    })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(typesOf(events)).toEqual(['error', 'error', 'error', 'open', 'message', 'error', 'error'])
    expect((events.at(-1)!.event as EventSourceErrorEvent).status).toBe(401)
  })

  test('a shouldRetry that throws closes the source instead of crashing it', async () => {
    server.route('/f', (_req, res) => res.writeHead(500).end())
    const source = open(server.url('/f'), {
      shouldRetry: () => {
        throw new Error('bug in policy')
      },
    })
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('a network error for a scheme fetch cannot speak fails even when shouldRetry says retry (futile)', async () => {
    const source = open('ftp://127.0.0.1/x', { shouldRetry: () => true, retryDelay: 5 })
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    await settle(40)
    expect(typesOf(events)).toEqual(['error'])
    expect(source.readyState).toBe(EventSource.CLOSED)
  })
})

describe('extension: Retry-After on a retried 429 or 503', () => {
  async function firstRetryDelay(status: number, retryAfter: string, retryDelay = 10): Promise<number | undefined> {
    server.route('/f', (_req, res) => res.writeHead(status, { 'retry-after': retryAfter }).end())
    const source = open(server.url('/f'), { retryDelay, backoff: constantBackoff, shouldRetry: () => true })
    const errors = recordEvents(source, ['error'])
    await waitFor(() => errors.length === 1)
    source.close()
    return (errors[0].event as EventSourceErrorEvent).retryDelay
  }

  test('a Retry-After in seconds longer than the backoff is waited for', async () => {
    expect(await firstRetryDelay(503, '2')).toBe(2000)
    expect(await firstRetryDelay(429, '1')).toBe(1000)
  })

  test('a Retry-After as an HTTP date is waited for until that date', async () => {
    const delay = await firstRetryDelay(429, new Date(Date.now() + 5000).toUTCString())
    expect(delay).toBeGreaterThan(3000)
    expect(delay).toBeLessThanOrEqual(5000)
  })

  test('a Retry-After shorter than the backoff does not shorten it', async () => {
    expect(await firstRetryDelay(503, '1', 3000)).toBeGreaterThanOrEqual(3000)
  })

  test('a malformed Retry-After, or one on another status, is ignored', async () => {
    expect(await firstRetryDelay(503, 'soon')).toBe(10)
    expect(await firstRetryDelay(500, '5')).toBe(10)
  })

  test('the source really waits the Retry-After time before the next attempt', async () => {
    server.route('/f', (_req, res, request) => {
      if (request.attempt === 0) res.writeHead(503, { 'retry-after': '1' }).end()
      else startStream(res).write('data: back\n\n')
    })
    const source = open(server.url('/f'), { retryDelay: 5, shouldRetry: () => true })
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'error'))
    const erroredAt = Date.now()
    await waitFor(() => events.some((e) => e.type === 'message'), { timeoutMs: 4000 })
    expect(Date.now() - erroredAt).toBeGreaterThanOrEqual(990)
  })
})

describe('extension: error events say what went wrong', () => {
  test('http: status, headers, message with the reason phrase, retryDelay undefined when closing', async () => {
    server.route('/f', (_req, res) => res.writeHead(404, 'Not Found', { 'x-trace': 't1' }).end())
    const source = open(server.url('/f'))
    const [event] = await errorsOf(source, 1)
    expect(event).toBeInstanceOf(EventSourceErrorEvent)
    expect(event).toMatchObject({ type: 'error', kind: 'http', status: 404, message: 'HTTP 404 Not Found', retryDelay: undefined })
    expect(event.headers?.get('x-trace')).toBe('t1')
  })

  test('content-type: names the type it got', async () => {
    server.route('/f', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
    const [event] = await errorsOf(open(server.url('/f')), 1)
    expect(event).toMatchObject({ kind: 'content-type', status: 200 })
    expect(event.message).toBe('expected content type text/event-stream, got content type "application/json"')
  })

  test('network: carries the cause and the delay until the next attempt', async () => {
    const refusing = createNetServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    const { port } = refusing.address() as { port: number }
    try {
      const source = open(`http://127.0.0.1:${port}/`, { retryDelay: 20, backoff: constantBackoff })
      const [event] = await errorsOf(source, 1)
      expect(event).toMatchObject({ kind: 'network', status: undefined, headers: undefined, retryDelay: 20 })
      // fetch's TypeError comes from Node's realm, not the test's: check its shape, not its class.
      expect((event.cause as Error).name).toBe('TypeError')
      expect(event.message).toMatch(/^network error: /)
    } finally {
      refusing.close()
    }
  })

  test('end: says the server ended the stream', async () => {
    server.route('/f', (_req, res) => startStream(res).end('retry: 7\n\n'))
    const [event] = await errorsOf(open(server.url('/f'), { backoff: constantBackoff }), 1)
    expect(event).toMatchObject({ kind: 'end', status: undefined, message: 'the server ended the stream', retryDelay: 7 })
    expect(event.headers?.get('content-type')).toBe('text/event-stream')
  })

  test('event-size: names the bound', async () => {
    server.route('/f', (_req, res) => startStream(res).write(`data: ${'y'.repeat(5000)}`))
    const [event] = await errorsOf(open(server.url('/f'), { maxEventSize: 1000 }), 1)
    expect(event.kind).toBe('event-size')
    expect(event.message).toContain('`maxEventSize` (1000 characters)')
  })

  test('plain-Event code keeps working: onerror receives the event as an Event of type error', async () => {
    server.route('/f', (_req, res) => res.writeHead(500).end())
    const source = open(server.url('/f'))
    const seen: Event[] = []
    source.onerror = (event) => seen.push(event)
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toBeInstanceOf(Event)
    expect(seen[0].type).toBe('error')
    expect(seen[0].bubbles).toBe(false)
    expect(seen[0].cancelable).toBe(false)
  })

  async function errorsOf(source: EventSource, count: number): Promise<EventSourceErrorEvent[]> {
    const errors = recordEvents(source, ['error'])
    await waitFor(() => errors.length >= count)
    return errors.map((e) => e.event as EventSourceErrorEvent)
  }
})

describe('extension: signal', () => {
  test('aborting the signal closes the source and aborts the request', async () => {
    let closed = false
    server.route('/s', (_req, res) => {
      startStream(res).write('data: a\n\n')
      res.on('close', () => (closed = true))
    })
    const controller = new AbortController()
    const source = open(server.url('/s'), { signal: controller.signal })
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'message'))
    controller.abort()
    expect(source.readyState).toBe(EventSource.CLOSED)
    await waitFor(() => closed)
    expect(typesOf(events)).toEqual(['open', 'message'])
  })

  test('an already aborted signal leaves the source CLOSED without a request', async () => {
    server.route('/s', (_req, res) => startStream(res))
    const source = open(server.url('/s'), { signal: AbortSignal.abort() })
    const events = recordEvents(source)
    expect(source.readyState).toBe(EventSource.CLOSED)
    await settle(50)
    expect(server.requests).toHaveLength(0)
    expect(events).toEqual([])
  })

  test('aborting during the wait to reconnect cancels the reconnection', async () => {
    server.route('/s', (_req, res) => startStream(res).end('retry: 50\n\n'))
    const controller = new AbortController()
    const source = open(server.url('/s'), { signal: controller.signal })
    source.onerror = () => controller.abort()
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(120)
    expect(server.requests).toHaveLength(1)
  })

  test('close() lets go of the signal: its abort listener is removed', async () => {
    server.route('/s', (_req, res) => startStream(res))
    const controller = new AbortController()
    let added = 0
    let removed = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1
      add(...args)
    }) as typeof add
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1
      remove(...args)
    }) as typeof remove
    const source = open(server.url('/s'), { signal })
    source.close()
    expect([added, removed]).toEqual([1, 1])
  })

  test('`signal` that is not an AbortSignal is refused with a TypeError naming it', () => {
    expect(() => open(server.url('/s'), { signal: {} as AbortSignal })).toThrow(/`signal` must be an AbortSignal/)
  })
})
