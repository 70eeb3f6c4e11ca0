/**
 * Bounded memory: a server that sends an endless line, or an endless event that never gets its
 * blank line, cannot make the source buffer without bound. Past `maxEventSize` characters
 * (default 16 MiB) the attempt ends with an `event-size` failure, which fails the connection unless
 * `shouldRetry` says to reconnect.
 */
import { constantBackoff, EventSource, type EventSourceErrorEvent } from '../src'
import { endless, startFaultServer, stream } from './helpers/fault-server'
import { settle, waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server],
  open,
} = useSharedServers(1, startFaultServer)

const KiB = 1024
const MiB = 1024 * KiB

function errorsOf(source: EventSource): EventSourceErrorEvent[] {
  const errors: EventSourceErrorEvent[] = []
  source.addEventListener('error', (event) => errors.push(event))
  return errors
}

/**
 * How far past the bound the server may get before the client stops reading: what sits in socket
 * buffers and in fetch's stream queue, not in the parser. Generous, and far below "endless".
 */
const IN_FLIGHT = 12 * MiB

describe('maxEventSize bounds what an unfinished line or event may hold', () => {
  test('an endless line fails the connection with an event-size error once it passes maxEventSize', async () => {
    server.route('/endless-line', endless('data: ', 'a'.repeat(1024)))
    const source = open('/endless-line', { maxEventSize: 256 * KiB, retryDelay: 1 })
    const errors = errorsOf(source)
    let messages = 0
    source.onmessage = () => messages++
    await waitFor(() => source.readyState === EventSource.CLOSED, { timeoutMs: 8000 })
    expect(errors.map((e) => [e.kind, e.retryDelay])).toEqual([['event-size', undefined]])
    expect(errors[0].message).toContain('maxEventSize')
    expect(messages).toBe(0)
    // The client stopped reading: the server sees it leave, having sent a bounded amount.
    const [request] = server.requestsTo('/endless-line')
    await waitFor(() => request.closed, { message: 'the server to see the client leave' })
    expect(request.bytesSent).toBeGreaterThan(256 * KiB)
    expect(request.bytesSent).toBeLessThan(256 * KiB + IN_FLIGHT)
    await settle(30)
    expect(server.requestsTo('/endless-line')).toHaveLength(1)
  })

  test('an endless event (data lines and never a blank line) fails the same way', async () => {
    server.route('/endless-event', endless('id: 1\n', `data: ${'b'.repeat(1000)}\n`))
    const source = open('/endless-event', { maxEventSize: 256 * KiB, retryDelay: 1 })
    const errors = errorsOf(source)
    await waitFor(() => source.readyState === EventSource.CLOSED, { timeoutMs: 8000 })
    expect(errors.map((e) => e.kind)).toEqual(['event-size'])
    expect(server.requestsTo('/endless-event')[0].bytesSent).toBeLessThan(256 * KiB + IN_FLIGHT)
  })

  test('an endless event type or id line is bounded too', async () => {
    for (const field of ['event', 'id']) {
      server.route(`/endless-${field}`, endless(`${field}: `, 'c'.repeat(1024)))
      const source = open(`/endless-${field}`, { maxEventSize: 128 * KiB, retryDelay: 1 })
      const errors = errorsOf(source)
      await waitFor(() => source.readyState === EventSource.CLOSED, { timeoutMs: 8000 })
      expect(errors.map((e) => e.kind)).toEqual(['event-size'])
    }
  })

  test('by default the bound is 16 MiB: an endless line is failed after 16 MiB, not before', async () => {
    server.route('/endless-default', endless('data: ', 'd'.repeat(4096)))
    const source = open('/endless-default', { retryDelay: 1 })
    const errors = errorsOf(source)
    await waitFor(() => source.readyState === EventSource.CLOSED, { timeoutMs: 12_000 })
    expect(errors.map((e) => [e.kind, e.message])).toEqual([['event-size', expect.stringContaining('16777216')]])
    const sent = server.requestsTo('/endless-default')[0].bytesSent
    expect(sent).toBeGreaterThan(16 * MiB)
    expect(sent).toBeLessThan(16 * MiB + IN_FLIGHT)
  }, 20_000)

  test('with shouldRetry, an event-size failure reconnects (with Last-Event-ID) instead of closing', async () => {
    server.route('/oversize-once', (ctx) =>
      ctx.request.attempt === 0
        ? endless('retry: 1\nid: 41\ndata: ok\n\ndata: ', 'e'.repeat(1024))(ctx)
        : stream('data: after\n\n', { then: 'hold' })(ctx),
    )
    const source = open('/oversize-once', {
      maxEventSize: 64 * KiB,
      backoff: constantBackoff,
      shouldRetry: (failure) => failure.kind === 'event-size',
    })
    const errors = errorsOf(source)
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => data.length === 2, { timeoutMs: 8000 })
    expect(data).toEqual(['ok', 'after'])
    expect(errors.map((e) => [e.kind, e.retryDelay])).toEqual([['event-size', 1]])
    expect(server.requestsTo('/oversize-once').map((r) => r.lastEventId)).toEqual([undefined, '41'])
  })

  test('an event over the bound that arrives whole in one chunk fails the connection too', async () => {
    server.route('/whole-oversize', stream(`data: small\n\ndata: ${'w'.repeat(2000)}\n\ndata: after\n\n`, { then: 'hold' }))
    const source = open('/whole-oversize', { maxEventSize: 1024 })
    const errors = errorsOf(source)
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(data).toEqual(['small'])
    expect(errors.map((e) => e.kind)).toEqual(['event-size'])
  })

  test('with shouldRetry, an oversized event in the middle of a chunk loses none of the events after it: the reconnection resumes right after the oversized one', async () => {
    // One write: event 1, oversized event 2, events 3 and 4. The source drops 2 (it can never be
    // delivered) and must not count 3 and 4 as seen, or the resumed stream would skip them.
    const events = (from: number): string =>
      [1, 2, 3, 4]
        .filter((id) => id > from)
        .map((id) => `id: ${id}\ndata: ${id === 2 ? 'o'.repeat(2000) : `event ${id}`}\n\n`)
        .join('')
    server.route('/oversize-resume', (ctx) => {
      const from = Number(ctx.request.lastEventId ?? 0)
      return stream(`retry: 1\n${events(from)}`, { then: 'hold' })(ctx)
    })
    const source = open('/oversize-resume', {
      maxEventSize: 1024,
      backoff: constantBackoff,
      shouldRetry: (failure) => failure.kind === 'event-size',
    })
    const seen: string[] = []
    source.onmessage = (event) => seen.push(`${event.lastEventId}:${event.data}`)
    await waitFor(() => seen.length >= 3, {
      describe: () => ({ seen, requests: server.requestsTo('/oversize-resume').map((r) => r.lastEventId) }),
    })
    expect(seen).toEqual(['1:event 1', '3:event 3', '4:event 4'])
    expect(server.requestsTo('/oversize-resume').map((r) => r.lastEventId)).toEqual([undefined, '2'])
  })

  test('what is not buffered does not count: megabytes of comments and unknown fields pass under a small bound', async () => {
    // Comment lines and unknown fields are discarded as they arrive, even one endless-looking line.
    const body = `: ${'f'.repeat(3 * MiB)}\n${'x: noise\n'.repeat(100_000)}unknown${'g'.repeat(MiB)}\ndata: survived\n\n`
    server.route('/noise', stream(body, { chunkSize: 64 * KiB, then: 'hold' }))
    const source = open('/noise', { maxEventSize: 64 * KiB })
    const errors = errorsOf(source)
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => data.length === 1, { timeoutMs: 8000 })
    expect(data).toEqual(['survived'])
    expect(errors).toEqual([])
  })

  test('an event well under the bound is delivered whole however finely it is chunked', async () => {
    const payload = 'h'.repeat(900)
    server.route('/under', stream(`data: ${payload}\ndata: ${payload}\n\n`, { chunkSize: 3, then: 'hold' }))
    const source = open('/under', { maxEventSize: 2048 })
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => data.length === 1, { timeoutMs: 8000 })
    expect(data).toEqual([`${payload}\n${payload}`])
  })

  test('the bound resets with each event: many events that are each under it are not an overflow', async () => {
    const event = `data: ${'i'.repeat(700)}\n\n`
    server.route('/many', stream(event.repeat(2000), { chunkSize: 1000, then: 'hold' }))
    const source = open('/many', { maxEventSize: 1024 })
    let count = 0
    source.onmessage = () => count++
    const errors = errorsOf(source)
    await waitFor(() => count === 2000, { timeoutMs: 8000 })
    expect(errors).toEqual([])
  })
})
