/**
 * Extension: `for await (const event of source)` and `source.events({ types, highWaterMark })`,
 * with backpressure: a consumer that falls behind stops the source reading the response, so TCP
 * flow control holds the server back.
 */
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { EventSource, type ConnectionFailureError } from '../src'
import { useServerPerTest } from './helpers/per-test'
import { dataOf, recordEvents, settle, waitFor } from './helpers/recorder'
import { startStream } from './helpers/server'

const { server, open } = useServerPerTest()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Collects `count` events of a loop, then leaves it. */
async function take(iterable: AsyncIterable<MessageEvent>, count: number): Promise<MessageEvent[]> {
  const taken: MessageEvent[] = []
  if (count === 0) return taken
  for await (const event of iterable) {
    taken.push(event)
    if (taken.length === count) break
  }
  return taken
}

/** Collects a loop's events until it ends; resolves with them, and the error it threw if any. */
async function drain(iterable: AsyncIterable<MessageEvent>): Promise<{ events: MessageEvent[]; error?: ConnectionFailureError }> {
  const events: MessageEvent[] = []
  try {
    for await (const event of iterable) events.push(event)
    return { events }
  } catch (error) {
    return { events, error: error as ConnectionFailureError }
  }
}

describe('extension: async iteration over a source', () => {
  test('yields every message event, of every type, in order: the MessageEvents listeners get', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: a\n\nevent: update\ndata: b\n\nid: 3\ndata: c\n\n'))
    const source = open('/s')
    const heard: Event[] = []
    source.addEventListener('message', (event) => heard.push(event))
    source.addEventListener('update', (event) => heard.push(event))
    const events = await take(source, 3)
    expect(events.map((e) => [e.type, e.data, e.lastEventId])).toEqual([
      ['message', 'a', ''],
      ['update', 'b', ''],
      ['message', 'c', '3'],
    ])
    expect(events[0]).toBeInstanceOf(MessageEvent)
    expect(events.map((e) => e.origin)).toEqual([server.origin, server.origin, server.origin])
    // Listeners keep working beside the loop, and see the very same objects.
    expect(heard).toEqual(events)
  })

  test('events({ types }) yields only those types', async () => {
    server.route(
      '/s',
      (_req, res) =>
        void startStream(res).write('data: a\n\nevent: update\ndata: b\n\nevent: other\ndata: c\n\nevent: update\ndata: d\n\n'),
    )
    const source = open('/s')
    const events = await take(source.events({ types: ['update'] }), 2)
    expect(
      dataOf(
        events.map((e) => ({ type: e.type, data: e.data, readyState: 1, event: e })),
        'update',
      ),
    ).toEqual(['b', 'd'])
  })

  test('an event type named "comment" is an event like any other', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(': a real comment\n\nevent: comment\ndata: hi\n\n'))
    const comments: string[] = []
    const source = open('/s', { onComment: (text) => comments.push(text) })
    const [event] = await take(source, 1)
    expect([event.type, event.data]).toEqual(['comment', 'hi'])
    expect(comments).toEqual(['a real comment'])
  })

  test('events dispatched before the iterator was created are not replayed', async () => {
    server.route('/s', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 20\nid: 1\ndata: early\n\n')
      else startStream(res).write('id: 2\ndata: late\n\n')
    })
    const source = open('/s')
    const early = recordEvents(source, ['message'])
    await waitFor(() => early.length === 1)
    const [event] = await take(source, 1)
    expect(event.data).toBe('late')
  })

  test('break closes the source, and the server sees the connection end', async () => {
    let closedAt = 0
    server.route('/s', (_req, res) => {
      startStream(res).write('data: 1\n\ndata: 2\n\n')
      res.on('close', () => (closedAt = Date.now()))
    })
    const source = open('/s')
    await take(source, 1)
    const leftAt = Date.now()
    expect(source.readyState).toBe(EventSource.CLOSED)
    await waitFor(() => closedAt > 0, { timeoutMs: 1000, message: 'the server to see the connection end' })
    expect(closedAt - leftAt).toBeLessThan(1000)
  })

  test('a throw in the loop body closes the source', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: 1\n\n'))
    const source = open('/s')
    await expect(
      (async () => {
        for await (const _event of source) throw new Error('consumer bug')
      })(),
    ).rejects.toThrow('consumer bug')
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('close() from elsewhere ends the loop after the events already waiting, without throwing', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: 1\n\ndata: 2\n\ndata: 3\n\n'))
    const source = open('/s')
    const iterator = source.events()
    await waitFor(() => source.readyState === EventSource.OPEN)
    await settle(50) // the three events wait in the iterator
    source.close()
    const { events, error } = await drain(iterator)
    expect(error).toBeUndefined()
    expect(events.map((e) => e.data)).toEqual(['1', '2', '3'])
  })

  test('aborting the signal ends a loop that is waiting for an event', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: 1\n\n'))
    const controller = new AbortController()
    const source = open('/s', { signal: controller.signal })
    const loop = drain(source)
    await waitFor(() => source.readyState === EventSource.OPEN)
    await settle(50)
    controller.abort()
    const { events, error } = await loop
    expect(error).toBeUndefined()
    expect(events.map((e) => e.data)).toEqual(['1'])
  })

  test('a loop over a closed source ends at once', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: 1\n\n'))
    const source = open('/s')
    source.close()
    expect(await drain(source)).toEqual({ events: [] })
  })

  test('a connection that fails for good makes the loop throw, with kind, status and message (HTTP 401)', async () => {
    server.route('/s', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 10\ndata: before\n\n')
      else res.writeHead(401, 'Unauthorized').end()
    })
    const source = open('/s')
    const { events, error } = await drain(source)
    expect(events.map((e) => e.data)).toEqual(['before'])
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ kind: 'http', status: 401, message: 'HTTP 401 Unauthorized', attempt: 2 })
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('a stream the server ended and that is not to be resumed (shouldRetry false on end) just ends the loop', async () => {
    server.route('/s', (_req, res) => void startStream(res).end('data: Hel\n\ndata: lo\n\n'))
    const source = open('/s', { shouldRetry: (failure) => failure.kind !== 'end' && failure.kind !== 'http' })
    expect((await drain(source)).events.map((e) => e.data)).toEqual(['Hel', 'lo'])
  })

  test('reconnections are invisible to the loop: no gap, no duplicate', async () => {
    server.route('/s', (req, res) => {
      const first = Number(req.headers['last-event-id'] ?? 0) + 1
      let body = 'retry: 5\n\n'
      for (let id = first; id < first + 5; id++) body += `id: ${id}\ndata: ${id}\n\n`
      startStream(res).end(body)
    })
    const source = open('/s')
    const events = await take(source, 23)
    expect(events.map((e) => e.data)).toEqual(Array.from({ length: 23 }, (_, i) => String(i + 1)))
    expect(server.requestsTo('/s').length).toBeGreaterThanOrEqual(5)
  })

  test('two loops over one source each get every event', async () => {
    server.route('/s', (_req, res) => void startStream(res).write('data: 1\n\ndata: 2\n\n'))
    const source = open('/s')
    const first = source.events()
    const second = source.events()
    const a = [(await first.next()).value.data, (await first.next()).value.data]
    const b = [(await second.next()).value.data, (await second.next()).value.data]
    expect([a, b]).toEqual([
      ['1', '2'],
      ['1', '2'],
    ])
  })

  test('invalid options throw, naming the option', () => {
    const source = new EventSource('http://127.0.0.1:1/', { signal: AbortSignal.abort() })
    expect(() => source.events({ highWaterMark: 0 })).toThrow(/EventSource\.events: `highWaterMark`/)
    expect(() => source.events({ highWaterMark: 1.5 })).toThrow(/`highWaterMark` must be an integer/)
    expect(() => source.events({ types: 'update' as unknown as string[] })).toThrow(/`types` must be an array/)
  })
})

/** The most the kernel may buffer on a loopback connection (both socket buffers), plus 8 MB for fetch and Node. */
function transportBufferBound(): number {
  const maximum = (file: string, fallback: number): number => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2])
    } catch {
      return fallback
    }
  }
  return maximum('/proc/sys/net/ipv4/tcp_rmem', 6 << 20) + maximum('/proc/sys/net/ipv4/tcp_wmem', 4 << 20) + (8 << 20)
}

describe('extension: backpressure of async iteration', () => {
  const EVENT_BYTES = 4096
  const TOTAL_BYTES = 80 * 1024 * 1024
  const TOTAL_EVENTS = TOTAL_BYTES / EVENT_BYTES

  /** The data of event `id`, padded so that the whole event is 4 KiB. */
  const dataOf = (id: number): string => 'x'.repeat(EVENT_BYTES - `id: ${id}\ndata: `.length - 2)
  const event = (id: number): string => `id: ${id}\ndata: ${dataOf(id)}\n\n`

  /** Resolves once `res` can take more, or is gone; leaves no listener behind. */
  const drainedOrClosed = (res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done)
        res.off('close', done)
        resolve()
      }
      res.on('drain', done)
      res.on('close', done)
    })

  /** Writes every event as fast as the socket drains; counts what the socket accepted. */
  function pump(res: ServerResponse, progress: { written: number }): void {
    startStream(res)
    void (async () => {
      for (let id = 1; id <= TOTAL_EVENTS && !res.destroyed; id++) {
        const accepted = res.write(event(id))
        progress.written += EVENT_BYTES
        if (!accepted) await drainedOrClosed(res)
      }
      res.end()
    })()
  }

  test('a slow consumer holds the server back: 80 MB of 4 KiB events, nothing lost, the server never further ahead than the transport buffers', async () => {
    const progress = { written: 0 }
    server.route('/flood', (_req, res) => pump(res, progress))
    const source = open('/flood', { shouldRetry: () => false })
    let dispatched = 0
    source.addEventListener('message', () => dispatched++)
    const HIGH_WATER_MARK = 16
    let consumed = 0
    let maxAhead = 0
    let maxHeld = 0
    let next = 1
    for await (const message of source.events({ highWaterMark: HIGH_WATER_MARK })) {
      if (Number(message.lastEventId) !== next || message.data !== dataOf(next)) {
        throw new Error(`event ${next}: got id ${message.lastEventId}`)
      }
      next++
      consumed += EVENT_BYTES
      maxAhead = Math.max(maxAhead, progress.written - consumed)
      // Events dispatched but not yet consumed: what the iterator holds in memory.
      maxHeld = Math.max(maxHeld, dispatched - (next - 1))
      // The first 2,000 events (8 MB) take ~1 ms each: a consumer far slower than the server.
      if (next <= 2000) await sleep(1)
      if (next > TOTAL_EVENTS) break
    }
    expect(next).toBe(TOTAL_EVENTS + 1)
    // The iterator holds at most highWaterMark events plus those of the one network read under
    // way: 16 of these events in Node 18–22, whose fetch hands over 64 KiB at a time; up to about
    // 40 seen with Node 24's. Without backpressure it holds thousands.
    expect(maxHeld).toBeLessThanOrEqual(HIGH_WATER_MARK + 64)
    // The server gets no further ahead than the transport can buffer: the kernel's socket buffers
    // on both sides (on Linux up to tcp_rmem's and tcp_wmem's maximum, which autotuning may reach
    // on loopback) plus a few MB in fetch and Node. Without backpressure it writes all 80 MB
    // while the consumer has taken a few.
    expect(maxAhead).toBeLessThan(transportBufferBound())
    expect(transportBufferBound()).toBeLessThan(TOTAL_BYTES - 8 * 1024 * 1024)
  }, 90_000)

  test('without consumer lag, nothing is held back: the same events as a listener gets', async () => {
    const progress = { written: 0 }
    server.route('/flood', (_req, res) => pump(res, progress))
    const source = open('/flood')
    const heard: string[] = []
    source.addEventListener('message', (event) => heard.push(event.lastEventId))
    let count = 0
    for await (const message of source) {
      if (Number(message.lastEventId) !== ++count) throw new Error(`gap at ${count}`)
      if (count === 5000) break
    }
    expect(heard.slice(0, 5000)).toEqual(Array.from({ length: 5000 }, (_, i) => String(i + 1)))
  }, 30_000)

  test('a read timeout does not fire while the consumer holds reading back', async () => {
    server.route('/slow', (_req, res) => void startStream(res).write('data: 1\n\ndata: 2\n\ndata: 3\n\n'))
    const errors: string[] = []
    const source = open('/slow', { readTimeout: 250 })
    source.addEventListener('error', (event) => errors.push(event.kind))
    const iterator = source.events({ highWaterMark: 1 })
    const first = await iterator.next()
    expect(first.value.data).toBe('1')
    await settle(1000) // four read timeouts, while reading is held back
    expect(errors).toEqual([])
    expect((await iterator.next()).value.data).toBe('2')
    await iterator.return!()
  })
})
