import { type EventSourceErrorEvent, constantBackoff, exponentialBackoff, type ConnectionFailure } from '../src'
import { recordEvents, waitFor } from './helpers/recorder'
import { startStream } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

describe('extension: exponentialBackoff (pure)', () => {
  test('doubles from the reconnection time: base × factor^(attempt−1)', () => {
    const backoff = exponentialBackoff({ jitter: 0 })
    expect([1, 2, 3, 4].map((attempt) => backoff(attempt, 100))).toEqual([100, 200, 400, 800])
  })

  test('caps the base at max', () => {
    const backoff = exponentialBackoff({ jitter: 0, max: 1000 })
    expect([4, 5, 6, 60, 5000].map((attempt) => backoff(attempt, 100))).toEqual([800, 1000, 1000, 1000, 1000])
  })

  test('defaults: max 30 s, factor 2, jitter up to 50% of the base', () => {
    const low = exponentialBackoff({ random: () => 0 })
    const high = exponentialBackoff({ random: () => 0.999999 })
    expect(low(1, 3000)).toBe(3000)
    expect(low(20, 3000)).toBe(30_000)
    expect(high(1, 3000)).toBeCloseTo(4500, 0)
    expect(high(20, 3000)).toBeCloseTo(45_000, 0)
  })

  test('adds a random extra of up to jitter × base', () => {
    const backoff = exponentialBackoff({ jitter: 0.2, random: () => 0.5 })
    expect(backoff(3, 100)).toBeCloseTo(400 * 1.1)
  })

  test('spreads clients: with Math.random, delays of one attempt differ', () => {
    const backoff = exponentialBackoff()
    const delays = new Set(Array.from({ length: 50 }, () => backoff(2, 1000)))
    expect(delays.size).toBeGreaterThan(40)
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(2000)
      expect(delay).toBeLessThan(3000)
    }
  })

  test('a custom factor is used', () => {
    expect(exponentialBackoff({ factor: 3, jitter: 0 })(3, 10)).toBe(90)
  })

  test('invalid options throw, naming the option', () => {
    expect(() => exponentialBackoff({ max: -1 })).toThrow(/`max`/)
    expect(() => exponentialBackoff({ factor: 0.5 })).toThrow(/`factor`/)
    expect(() => exponentialBackoff({ jitter: Number.NaN })).toThrow(/`jitter`/)
    expect(() => exponentialBackoff({ random: 1 as unknown as () => number })).toThrow(/`random`/)
  })

  test('constantBackoff always answers the reconnection time', () => {
    expect([1, 2, 10].map((attempt) => constantBackoff(attempt, 250))).toEqual([250, 250, 250])
  })
})

describe('extension: the delays the source waits', () => {
  const { server, open } = useServerPerTest()

  function requestTimes(): number[] {
    return server.requests.map((r) => (r as unknown as { at: number }).at)
  }

  /** A route that answers 500 every time, stamping when each request arrived. */
  function failingRoute(): void {
    server.route('/fail', (_req, res, request) => {
      ;(request as unknown as { at: number }).at = Date.now()
      res.writeHead(500).end()
    })
  }

  test('follows the backoff strategy between failed attempts, and waits at least that long', async () => {
    failingRoute()
    const source = open('/fail', {
      retryDelay: 20,
      backoff: exponentialBackoff({ jitter: 0, max: 200 }),
      shouldRetry: () => true,
    })
    const events = recordEvents(source, ['error'])
    await waitFor(() => server.requests.length >= 6, { timeoutMs: 5000 })
    source.close()
    const delays = events.map((e) => (e.event as EventSourceErrorEvent).retryDelay)
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 160, 200])
    const times = requestTimes()
    for (let i = 1; i < 6; i++) {
      // Lower bounds only: a timer never fires early, however loaded the machine is.
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(delays[i - 1]! - 2)
    }
  })

  test('never waits less than the reconnection time, whatever the strategy returns', async () => {
    failingRoute()
    const source = open('/fail', { retryDelay: 30, backoff: () => 0, shouldRetry: () => true })
    const events = recordEvents(source, ['error'])
    await waitFor(() => events.length >= 3)
    source.close()
    expect(events.slice(0, 3).map((e) => (e.event as EventSourceErrorEvent).retryDelay)).toEqual([30, 30, 30])
  })

  test('a strategy that returns NaN or throws leaves the reconnection time', async () => {
    failingRoute()
    const nan = open('/fail', { retryDelay: 15, backoff: () => Number.NaN, shouldRetry: () => true })
    const throwing = open('/fail', {
      retryDelay: 15,
      backoff: () => {
        throw new Error('bug')
      },
      shouldRetry: () => true,
    })
    const nanEvents = recordEvents(nan, ['error'])
    const throwingEvents = recordEvents(throwing, ['error'])
    await waitFor(() => nanEvents.length >= 2 && throwingEvents.length >= 2)
    for (const events of [nanEvents, throwingEvents]) {
      expect((events[1].event as EventSourceErrorEvent).retryDelay).toBe(15)
    }
  })

  test('the server’s retry: sets the base the strategy works from', async () => {
    server.route('/s', (_req, res) => startStream(res).end('retry: 25\n\n'))
    const source = open('/s', { retryDelay: 5000, backoff: exponentialBackoff({ jitter: 0 }) })
    const events = recordEvents(source, ['error'])
    await waitFor(() => events.length >= 3)
    source.close()
    expect(events.slice(0, 3).map((e) => (e.event as EventSourceErrorEvent).retryDelay)).toEqual([25, 50, 100])
  })

  test('a server retry: longer than the backoff cap is still honoured', async () => {
    server.route('/s', (_req, res) => startStream(res).end('retry: 900000\n\n'))
    const source = open('/s', { backoff: exponentialBackoff({ jitter: 0, max: 1000 }) })
    const events = recordEvents(source, ['error'])
    await waitFor(() => events.length >= 1)
    source.close()
    expect((events[0].event as EventSourceErrorEvent).retryDelay).toBe(900000)
  })

  test('attempt counts consecutive failures from 1, and starts over after a connection stayed open resetAfter ms', async () => {
    const lifetimes = [0, 0, 120, 0, 0]
    server.route('/s', (_req, res, request) => {
      startStream(res).write('retry: 5\n\n')
      const lifetime = lifetimes[Math.min(request.attempt, lifetimes.length - 1)]
      setTimeout(() => res.end(), lifetime)
    })
    const attempts: number[] = []
    const source = open('/s', {
      resetAfter: 60,
      backoff: constantBackoff,
      shouldRetry: (failure: ConnectionFailure) => {
        attempts.push(failure.attempt)
        return true
      },
    })
    await waitFor(() => attempts.length >= 5)
    source.close()
    // Attempts 1 and 2 drop at once; the third connection lives 120 ms ≥ resetAfter: healthy.
    expect(attempts.slice(0, 5)).toEqual([1, 2, 1, 2, 3])
  })

  test('a server that accepts and drops at once keeps backing off (resetAfter not reached)', async () => {
    server.route('/s', (_req, res) => startStream(res).end('retry: 4\n\n'))
    const source = open('/s', { backoff: exponentialBackoff({ jitter: 0, max: 64 }) })
    const events = recordEvents(source, ['error'])
    await waitFor(() => events.length >= 5)
    source.close()
    expect(events.slice(0, 5).map((e) => (e.event as EventSourceErrorEvent).retryDelay)).toEqual([4, 8, 16, 32, 64])
  })
})
