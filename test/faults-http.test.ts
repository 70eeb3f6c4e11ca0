/**
 * Hostile HTTP answers: error statuses with and without Retry-After, redirect chains and loops, a
 * wrong content type, an endless header, a body that never starts. Each ends as the spec (or the
 * documented extension) says, and none of them crashes the source or makes it reconnect at once.
 */
import { constantBackoff, EventSource, type EventSourceErrorEvent } from '../src'
import { bodyNeverStarts, endlessHeader, redirect, startFaultServer, status, stream, wrongContentType } from './helpers/fault-server'
import { settle, waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server, other],
  open,
} = useSharedServers(2, startFaultServer)

/** Every event the source dispatches: message data, or error kind/status/retryDelay. */
function record(source: EventSource) {
  const log: { type: string; data?: string; kind?: string; status?: number; retryDelay?: number; message?: string; readyState: number }[] =
    []
  source.addEventListener('open', () => log.push({ type: 'open', readyState: source.readyState }))
  source.addEventListener('message', (event) => log.push({ type: 'message', data: event.data, readyState: source.readyState }))
  source.addEventListener('error', (event) => {
    const { kind, status: code, retryDelay, message } = event as EventSourceErrorEvent
    log.push({ type: 'error', kind, status: code, retryDelay, message, readyState: source.readyState })
  })
  return log
}

describe('error statuses: failed by default, retried per shouldRetry, with Retry-After honoured on 429 and 503', () => {
  const cases = [
    [500, undefined],
    [502, undefined],
    [503, undefined],
    [503, '7'],
    [429, undefined],
    [429, '7'],
  ] as const

  test.each(cases)(
    'HTTP %d (Retry-After %s) fails the connection by default: one error event, CLOSED, no reconnection',
    async (code, retryAfter) => {
      const path = `/status/${code}/${retryAfter ?? 'none'}`
      server.route(path, status(code, { retryAfter }))
      const source = open(path, { retryDelay: 1 })
      const log = record(source)
      await waitFor(() => source.readyState === EventSource.CLOSED)
      await settle(50)
      expect(log).toEqual([
        {
          type: 'error',
          kind: 'http',
          status: code,
          retryDelay: undefined,
          message: expect.stringContaining(String(code)),
          readyState: EventSource.CLOSED,
        },
      ])
      expect(server.requestsTo(path)).toHaveLength(1)
    },
  )

  test('with shouldRetry, Retry-After on a 503 and a 429 sets the wait, and the next request does not come sooner', async () => {
    for (const code of [503, 429])
      server.route(`/ra/${code}`, (ctx) =>
        ctx.request.attempt === 0 ? status(code, { retryAfter: '1' })(ctx) : stream('data: back\n\n', { then: 'hold' })(ctx),
      )
    const results = await Promise.all(
      [503, 429].map(async (code) => {
        const source = open(`/ra/${code}`, { retryDelay: 1, backoff: constantBackoff, shouldRetry: () => true })
        const log = record(source)
        let errorAt = 0
        source.addEventListener('error', () => (errorAt = Date.now()))
        await waitFor(() => log.some((e) => e.type === 'message'), { timeoutMs: 4000 })
        const [first, second] = server.requestsTo(`/ra/${code}`)
        return { error: log[0], waited: second.at - errorAt, sinceFirstRequest: second.at - first.at }
      }),
    )
    for (const { error, waited, sinceFirstRequest } of results) {
      expect(error).toMatchObject({ type: 'error', kind: 'http', retryDelay: 1000, readyState: EventSource.CONNECTING })
      // Real timers: the reconnection cannot come earlier than asked (Node starts a timer at the
      // event loop's cached time, which a busy turn can put some ms before the dispatch).
      expect(waited).toBeGreaterThanOrEqual(950)
      expect(sinceFirstRequest).toBeGreaterThanOrEqual(950)
    }
  })

  test('with shouldRetry, Retry-After on a 500 or 502 is ignored, as is a malformed one; without it the reconnection time applies', async () => {
    const variants: [string, number, string | undefined][] = [
      ['/ign/500', 500, '1'],
      ['/ign/502', 502, '1'],
      ['/ign/503-bad', 503, 'soon'],
      ['/ign/503-neg', 503, '-1'],
      ['/ign/503-frac', 503, '1.5'],
      ['/ign/503-none', 503, undefined],
    ]
    const delays = await Promise.all(
      variants.map(async ([path, code, retryAfter]) => {
        server.route(path, status(code, { retryAfter }))
        const source = open(path, { retryDelay: 7, backoff: constantBackoff, shouldRetry: () => true })
        const log = record(source)
        await waitFor(() => log.some((e) => e.type === 'error'))
        source.close()
        return log.find((e) => e.type === 'error')!.retryDelay
      }),
    )
    expect(delays).toEqual(variants.map(() => 7))
  })

  test('an enormous Retry-After is clamped to the longest timer (2^31-1 ms) instead of firing at once', async () => {
    server.route('/ra/huge', status(503, { retryAfter: '99999999999' }))
    const source = open('/ra/huge', { retryDelay: 1, shouldRetry: () => true })
    const log = record(source)
    await waitFor(() => log.some((e) => e.type === 'error'))
    await settle(150)
    expect(log).toEqual([expect.objectContaining({ type: 'error', retryDelay: 2_147_483_647, readyState: EventSource.CONNECTING })])
    expect(server.requestsTo('/ra/huge')).toHaveLength(1)
  })
})

describe('redirects', () => {
  test('a 301 → 307 → 302 → 308 chain across two origins is followed; messages carry the final origin', async () => {
    server.route('/chain/1', redirect(301, '/chain/2'))
    server.route('/chain/2', redirect(307, other.url('/chain/3')))
    other.route('/chain/3', redirect(302, '/chain/4'))
    other.route('/chain/4', redirect(308, '/chain/end'))
    other.route('/chain/end', stream('data: arrived\n\n', { then: 'hold' }))
    const source = open('/chain/1')
    const origins: string[] = []
    source.onmessage = (event) => origins.push(event.origin)
    await waitFor(() => origins.length === 1)
    expect(origins).toEqual([other.origin])
    expect(source.url).toBe(server.url('/chain/1'))
    expect(
      [
        server.requestsTo('/chain/1'),
        server.requestsTo('/chain/2'),
        other.requestsTo('/chain/3'),
        other.requestsTo('/chain/4'),
        other.requestsTo('/chain/end'),
      ].map((r) => r.length),
    ).toEqual([1, 1, 1, 1, 1])
  })

  test('a reconnection after a redirect starts again from the original URL, with Last-Event-ID', async () => {
    server.route('/hop', redirect(307, '/hop/target'))
    server.route('/hop/target', (ctx) => stream('retry: 1\nid: 9\ndata: a\n\n', { then: ctx.request.attempt === 0 ? 'cut' : 'hold' })(ctx))
    const source = open('/hop')
    let messages = 0
    source.onmessage = () => messages++
    await waitFor(() => messages === 2)
    expect(server.requestsTo('/hop').map((r) => r.lastEventId)).toEqual([undefined, '9'])
    expect(server.requestsTo('/hop/target').map((r) => r.lastEventId)).toEqual([undefined, '9'])
  })

  test('a redirect loop ends the attempt with a network error after fetch gives up (20 redirects), and is retried with a delay', async () => {
    server.route('/loop', redirect(302, '/loop'))
    const source = open('/loop', { retryDelay: 200, backoff: constantBackoff })
    const log = record(source)
    await waitFor(() => log.some((e) => e.type === 'error'), { timeoutMs: 5000 })
    const requestsAtError = server.requestsTo('/loop').length
    expect(log[0]).toMatchObject({ type: 'error', kind: 'network', retryDelay: 200, readyState: EventSource.CONNECTING })
    expect(log[0].message).toMatch(/redirect/i)
    // The first request and 20 redirects followed.
    expect(requestsAtError).toBe(21)
    source.close()
  })

  test('a 307 resends a POST with its body; a 301 turns it into a GET without a body, as fetch does', async () => {
    server.route('/post/307', redirect(307, '/post/end'))
    server.route('/post/301', redirect(301, '/post/end'))
    server.route('/post/end', stream('data: ok\n\n', { then: 'hold' }))
    for (const path of ['/post/307', '/post/301']) {
      const source = open(path, { method: 'POST', body: 'payload' })
      await waitFor(() => source.readyState === EventSource.OPEN)
      source.close()
    }
    expect(server.requestsTo('/post/end').map((r) => [r.method, r.body])).toEqual([
      ['POST', 'payload'],
      ['GET', ''],
    ])
  })

  test('a redirect to a response that is not an event stream fails the connection', async () => {
    server.route('/to-html', redirect(302, '/html'))
    server.route('/html', wrongContentType('text/html', '<p>data: no</p>\n\n'))
    const source = open('/to-html', { retryDelay: 1 })
    const log = record(source)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(log).toEqual([expect.objectContaining({ type: 'error', kind: 'content-type', status: 200, retryDelay: undefined })])
  })
})

describe('wrong content type', () => {
  const types: [string, string | null][] = [
    ['text/plain', 'text/plain'],
    ['application/json', 'application/json'],
    ['no content type at all', null],
    ['a near miss (text/event-streams)', 'text/event-streams'],
    ['text/html that contains event-stream syntax', 'text/html; charset=text/event-stream'],
  ]
  test.each(types)('%s fails the connection without dispatching the body', async (name, type) => {
    const path = `/type/${encodeURIComponent(name)}`
    server.route(path, wrongContentType(type))
    const source = open(path, { retryDelay: 1 })
    const log = record(source)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(30)
    expect(log).toEqual([expect.objectContaining({ type: 'error', kind: 'content-type', status: 200, retryDelay: undefined })])
    expect(server.requestsTo(path)).toHaveLength(1)
  })
})

describe('responses that never get going', () => {
  test('an endless header sent as fast as possible ends the attempt with a network error (fetch limits header size), and the source retries', async () => {
    server.route('/endless-header', endlessHeader())
    const source = open('/endless-header', { retryDelay: 100, backoff: constantBackoff })
    const log = record(source)
    await waitFor(() => log.some((e) => e.type === 'error'), { timeoutMs: 5000 })
    source.close()
    expect(log[0]).toMatchObject({ type: 'error', kind: 'network', retryDelay: 100, readyState: EventSource.CONNECTING })
    // The client gave up on the header (fetch allows 16 KiB) and hung up: the server saw it leave
    // having written a bounded amount (what socket buffers took), not an endless one.
    const [request] = server.requestsTo('/endless-header')
    await waitFor(() => request.closed, { message: 'the server to see the client leave' })
    expect(request.bytesSent).toBeLessThan(32 * 1024 * 1024)
  })

  test('an endless header trickled slowly is dropped by readTimeout, and the source retries', async () => {
    server.route('/slow-header', endlessHeader({ gapMs: 20, piece: 'b' }))
    const source = open('/slow-header', { retryDelay: 100, backoff: constantBackoff, readTimeout: 250 })
    const log = record(source)
    await waitFor(() => log.some((e) => e.type === 'error'), { timeoutMs: 5000 })
    source.close()
    expect(log).toEqual([expect.objectContaining({ type: 'error', kind: 'timeout', retryDelay: 100, readyState: EventSource.CONNECTING })])
  })

  test('a body that never starts keeps the connection open and silent; readTimeout drops it and the source reconnects', async () => {
    server.route('/no-body', (ctx) =>
      ctx.request.attempt === 0 ? bodyNeverStarts()(ctx) : stream('data: finally\n\n', { then: 'hold' })(ctx),
    )
    const source = open('/no-body', { retryDelay: 1, readTimeout: 200 })
    const log = record(source)
    await waitFor(() => log.some((e) => e.type === 'message'), { timeoutMs: 4000 })
    expect(log.map((e) => [e.type, e.kind ?? e.data])).toEqual([
      ['open', undefined],
      ['error', 'timeout'],
      ['open', undefined],
      ['message', 'finally'],
    ])
  })
})
