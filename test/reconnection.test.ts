/**
 * Extensions to reconnection: progress resets the backoff (a connection that delivered an event
 * was healthy), `reconnect()` on demand, and, in Node, network-aware waits that change nothing.
 * The browser side of network-aware waits is in test/browser/suites/network-aware.ts, run in
 * Chromium, Firefox and WebKit.
 */
import type { ServerResponse } from 'node:http'
import { EventSource, type EventSourceErrorEvent, type ConnectionFailure } from '../src'
import { useServerPerTest } from './helpers/per-test'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream, type RecordedRequest } from './helpers/server'

const { server, open } = useServerPerTest()

/** The error events of a source, as EventSourceErrorEvents. */
function errorsOf(source: EventSource): EventSourceErrorEvent[] {
  const errors: EventSourceErrorEvent[] = []
  source.addEventListener('error', (event) => errors.push(event))
  return errors
}

/** When each request arrived and when its response ended, as the server saw them. */
function stamp(request: RecordedRequest, res: ServerResponse): { arrived: number; ended?: number } {
  const times: { arrived: number; ended?: number } = { arrived: Date.now() }
  ;(request as unknown as { times: typeof times }).times = times
  res.on('finish', () => (times.ended = Date.now()))
  return times
}
const timesOf = (request: RecordedRequest) => (request as unknown as { times: { arrived: number; ended?: number } }).times

/** The ids the server numbers events with, across connections: resumes after Last-Event-ID. */
function nextIdAfter(request: RecordedRequest): number {
  const last = request.headers['last-event-id']
  return last === undefined ? 1 : Number(last) + 1
}

describe('extension: a connection that delivered an event resets the backoff', () => {
  test('a server that ends every response after a few events: over 20 cuts, every wait is the reconnection time (attempt 1)', async () => {
    server.route('/cuts', (_req, res, request) => {
      stamp(request, res)
      const first = nextIdAfter(request)
      let body = 'retry: 50\n\n'
      for (let id = first; id < first + 3; id++) body += `id: ${id}\ndata: event ${id}\n\n`
      startStream(res).end(body)
    })
    const source = open('/cuts') // default options: exponential backoff with jitter
    const errors = errorsOf(source)
    const events = recordEvents(source, ['message'])
    await waitFor(() => errors.length >= 21, { timeoutMs: 10_000 })
    source.close()

    for (const error of errors.slice(0, 21)) {
      expect(error.kind).toBe('end')
      expect(error.attempt).toBe(1)
      // Attempt 1 of the default strategy: the reconnection time plus up to 50 % jitter.
      expect(error.retryDelay).toBeGreaterThanOrEqual(50)
      expect(error.retryDelay).toBeLessThanOrEqual(75)
    }
    // As the server saw it: from the end of one response to the next request. A timer never
    // fires early; the upper bound is loose (the old behaviour reached seconds within 10 cuts).
    const requests = server.requestsTo('/cuts')
    for (let i = 1; i <= 20; i++) {
      const gap = timesOf(requests[i]).arrived - timesOf(requests[i - 1]).ended!
      expect(gap).toBeGreaterThanOrEqual(40)
      expect(gap).toBeLessThan(1000)
    }
    // Nothing lost or repeated across the cuts.
    const data = dataOf(events)
    expect(data.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => `event ${i + 1}`))
  })

  test('a server that accepts and ends without an event keeps backing off', async () => {
    server.route('/empty', (_req, res) => startStream(res).end('retry: 10\n\n'))
    const source = open('/empty')
    const errors = errorsOf(source)
    await waitFor(() => errors.length >= 5, { timeoutMs: 5000 })
    source.close()
    expect(errors.slice(0, 5).map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5])
    errors.slice(0, 5).forEach((error, index) => {
      const base = 10 * 2 ** index
      expect(error.retryDelay).toBeGreaterThanOrEqual(base)
      expect(error.retryDelay).toBeLessThanOrEqual(base * 1.5)
    })
  })

  test('comments and ids without data are not progress: the count grows (resetAfter still applies to them)', async () => {
    server.route('/comments', (_req, res) => startStream(res).end('retry: 5\n\n: heartbeat\n\nid: 7\n\n'))
    const attempts: number[] = []
    const source = open('/comments', {
      shouldRetry: (failure: ConnectionFailure) => {
        attempts.push(failure.attempt)
        return true
      },
    })
    await waitFor(() => attempts.length >= 4, { timeoutMs: 5000 })
    source.close()
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4])
  })

  test('after failures, one connection that delivers an event starts the count over', async () => {
    // Attempts 0–2: accepted, no event; attempt 3: one event; then no events again.
    server.route('/mixed', (_req, res, request) => {
      startStream(res).end(request.attempt === 3 ? 'retry: 5\n\ndata: hello\n\n' : 'retry: 5\n\n')
    })
    const source = open('/mixed')
    const errors = errorsOf(source)
    await waitFor(() => errors.length >= 6, { timeoutMs: 5000 })
    source.close()
    expect(errors.slice(0, 6).map((e) => e.attempt)).toEqual([1, 2, 3, 1, 2, 3])
  })
})

describe('extension: reconnect()', () => {
  /** A stream route: `retry: 20`, then numbered events from the Last-Event-ID on, held open. */
  function numberedRoute(path: string, count = 3): void {
    server.route(path, (_req, res, request) => {
      const first = nextIdAfter(request)
      let body = 'retry: 20\n\n'
      for (let id = first; id < first + count; id++) body += `id: ${id}\ndata: ${id}\n\n`
      startStream(res).write(body)
    })
  }

  test('while open: ends the connection, fires no error event, reconnects at once with the last event ID, then open', async () => {
    numberedRoute('/n')
    const source = open('/n', { retryDelay: 60_000 })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 3)
    const attemptsBefore = server.requestsTo('/n').length
    source.reconnect()
    expect(source.readyState).toBe(EventSource.CONNECTING)
    await waitFor(() => dataOf(events).length === 6)
    expect(server.requestsTo('/n')).toHaveLength(attemptsBefore + 1)
    expect(server.requestsTo('/n')[1].headers['last-event-id']).toBe('3')
    expect(typesOf(events)).toEqual(['open', 'message', 'message', 'message', 'open', 'message', 'message', 'message'])
    expect(dataOf(events)).toEqual(['1', '2', '3', '4', '5', '6'])
  })

  test('mid-event: the half event is never dispatched, and the next request resumes after the last complete one', async () => {
    server.route('/half', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).write('id: 1\ndata: one\n\nid: 2\ndata: tw')
      else startStream(res).write('id: 2\ndata: two\n\n')
    })
    const source = open('/half')
    const events = recordEvents(source, ['message'])
    await waitFor(() => events.length === 1)
    await settle(50) // the half event has reached the client
    source.reconnect()
    await waitFor(() => events.length === 2)
    expect(server.requestsTo('/half')[1].headers['last-event-id']).toBe('1')
    expect(dataOf(events)).toEqual(['one', 'two'])
  })

  test('from inside onmessage: the rest of that chunk is not dispatched and its ids are not applied', async () => {
    server.route('/chunk', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).write('id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n')
      else startStream(res).write('data: fresh\n\n')
    })
    const source = open('/chunk')
    const seen: string[] = []
    source.onmessage = (event) => {
      seen.push(`${event.lastEventId}:${event.data}`)
      if (event.data === 'a') source.reconnect()
    }
    await waitFor(() => seen.length === 2)
    await settle(50)
    expect(seen).toEqual(['1:a', '1:fresh'])
    expect(server.requestsTo('/chunk')[1].headers['last-event-id']).toBe('1')
  })

  test('while connecting: the attempt under way is abandoned and a new one starts, calling the headers function again', async () => {
    let calls = 0
    let answer: (() => void) | undefined
    server.route('/slow', (_req, res, request) => {
      // The first request never gets an answer; the second one does.
      if (request.attempt === 0) answer = () => res.destroy()
      else startStream(res).write('data: ok\n\n')
    })
    const source = open('/slow', { headers: () => ({ 'x-call': String(++calls) }) })
    const events = recordEvents(source)
    await waitFor(() => server.requestsTo('/slow').length === 1)
    source.reconnect()
    await waitFor(() => dataOf(events).length === 1)
    answer?.()
    await settle(50)
    expect(server.requestsTo('/slow').map((r) => r.headers['x-call'])).toEqual(['1', '2'])
    expect(typesOf(events)).toEqual(['open', 'message'])
  })

  test('while a headers function is pending: that attempt sends nothing, the new one calls it afresh', async () => {
    server.route('/h', (_req, res) => startStream(res).write('data: ok\n\n'))
    const pending: ((value: Record<string, string>) => void)[] = []
    const source = open('/h', { headers: () => new Promise((resolve) => pending.push(resolve)) })
    const events = recordEvents(source)
    await waitFor(() => pending.length === 1)
    source.reconnect()
    await waitFor(() => pending.length === 2)
    pending[0]({ 'x-which': 'first' })
    pending[1]({ 'x-which': 'second' })
    await waitFor(() => dataOf(events).length === 1)
    await settle(50)
    expect(server.requestsTo('/h').map((r) => r.headers['x-which'])).toEqual(['second'])
  })

  test('during a reconnection wait: cuts it short without growing the attempt count', async () => {
    server.route('/wait', (_req, res, request) => {
      if (request.attempt === 0)
        startStream(res).end('retry: 60000\n\n') // a long wait follows
      else startStream(res).write('data: back\n\n')
    })
    const attempts: number[] = []
    const source = open('/wait', {
      shouldRetry: (failure) => {
        attempts.push(failure.attempt)
        return true
      },
    })
    const events = recordEvents(source)
    await waitFor(() => attempts.length === 1)
    expect(source.readyState).toBe(EventSource.CONNECTING)
    source.reconnect()
    await waitFor(() => dataOf(events).length === 1, { timeoutMs: 2000 })
    expect(typesOf(events)).toEqual(['open', 'error', 'open', 'message'])
    expect(attempts).toEqual([1])
  })

  test('from inside onerror: one attempt starts at once, not a second one after the wait', async () => {
    server.route('/e', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 100\n\n')
      // Answered after the 100 ms wait is over, so a stray wait would start another attempt.
      else setTimeout(() => startStream(res).write('data: back\n\n'), 300)
    })
    const source = open('/e')
    source.onerror = () => source.reconnect()
    const events = recordEvents(source, ['message'])
    await waitFor(() => events.length === 1)
    await settle(100)
    expect(server.requestsTo('/e')).toHaveLength(2)
  })

  test('from inside onopen: the new connection replaces the one just announced', async () => {
    numberedRoute('/o', 1)
    const source = open('/o')
    let opens = 0
    source.onopen = () => {
      if (++opens === 1) source.reconnect()
    }
    const events = recordEvents(source, ['message'])
    await waitFor(() => events.length === 1)
    await settle(50)
    expect(opens).toBe(2)
    expect(server.requestsTo('/o')).toHaveLength(2)
    expect(dataOf(events)).toEqual(['1'])
  })

  test('after close(): does nothing', async () => {
    numberedRoute('/c')
    const source = open('/c')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 3)
    source.close()
    source.reconnect()
    expect(source.readyState).toBe(EventSource.CLOSED)
    await settle(100)
    expect(server.requestsTo('/c')).toHaveLength(1)
    expect(typesOf(events)).toEqual(['open', 'message', 'message', 'message'])
  })

  test('after a failure closed the source: does nothing', async () => {
    server.route('/401', (_req, res) => res.writeHead(401).end())
    const source = open('/401')
    const errors = errorsOf(source)
    await waitFor(() => errors.length === 1)
    source.reconnect()
    await settle(100)
    expect(source.readyState).toBe(EventSource.CLOSED)
    expect(server.requestsTo('/401')).toHaveLength(1)
  })
})

describe('extension: networkAware outside browsers', () => {
  test('Node has no network signals: nothing is registered on the global, the wait is a plain timer', async () => {
    const scope = globalThis as unknown as { addEventListener?: unknown }
    const added: string[] = []
    // A global addEventListener alone (as Deno has) is not enough: without navigator.onLine nothing is watched.
    scope.addEventListener = (type: string) => added.push(type)
    try {
      server.route('/s', (_req, res, request) => {
        if (request.attempt === 0) startStream(res).end('retry: 10\n\n')
        else startStream(res).write('data: again\n\n')
      })
      const source = open('/s')
      const events = recordEvents(source, ['message'])
      await waitFor(() => events.length === 1)
      expect(added).toEqual([])
    } finally {
      delete scope.addEventListener
    }
  })

  test('networkAware must be a boolean', () => {
    expect(() => new EventSource('http://127.0.0.1:1/', { networkAware: 'yes' as unknown as boolean })).toThrow(
      /`networkAware` must be a boolean/,
    )
  })
})
