/**
 * LaunchDarkly's SSE contract tests, "reconnection" (ssetests/tests_reconnection.go), restated
 * against our EventSource and a hand-fed loopback stream.
 *
 * Mapping: their `InitialDelayMS: 0` is `retryDelay: 5, backoff: constantBackoff` here (the spec
 * gives no way to reconnect with no delay at all, and our default backoff would add jitter); their
 * "break connection" ends the response cleanly, as theirs does; their "restart" command (the
 * client drops its own connection and reconnects) has no counterpart in the EventSource API, so
 * it maps to the server dropping the connection abruptly; their "read timeout" is `readTimeout`.
 * The tests at the end, on HTTP errors during reconnection, are not in tests_reconnection.go:
 * LaunchDarkly's clients retry 5xx statuses, which we do only when `shouldRetry` says so.
 */
import { constantBackoff, EventSource, type EventSourceInit } from '../src'
import { useContractHarness } from './helpers/contract-harness'
import { settle } from './helpers/recorder'
import { startStream } from './helpers/server'

const h = useContractHarness()

/** Their `InitialDelayMS: 0`. */
const NO_DELAY: EventSourceInit = { retryDelay: 5, backoff: constantBackoff }

/** LaunchDarkly's retry policy, as our option: retry network errors, stream ends, timeouts and 5xx. */
const retryServerErrors = (failure: { status: number | undefined }) => failure.status === undefined || failure.status >= 500

describe('contract: reconnection (tests_reconnection.go)', () => {
  test('after the server drops the connection abruptly, the client reconnects on its own with Last-Event-ID and the new stream\'s events arrive ("caller can trigger a restart", mapped to a server-side drop)', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    first.send('id: 1\ndata: Hello\n\n')
    await client.requireEvents({ id: '1', data: 'Hello' })
    first.resetConnection()
    const second = await h.awaitConnection(1)
    expect(second.request.headers['last-event-id']).toBe('1')
    second.send('data: Thanks\n\n')
    await client.requireEvents({ id: '1', data: 'Thanks' })
    expect(client.errors.map((e) => e.kind)).toEqual(['network'])
  })

  test('the reconnection request carries the id of the last event as Last-Event-ID ("sends ID of last received event")', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    expect(first.request.headers).not.toHaveProperty('last-event-id')
    first.send('id: abc\ndata: Hello\n\n')
    await client.requireEvents({ id: 'abc', data: 'Hello' })
    first.breakConnection()
    const second = await h.awaitConnection(1)
    expect(second.request.headers['last-event-id']).toBe('abc')
  })

  test('events without an id field keep the earlier id, which the reconnection sends ("sends ID of last received event that had an ID if later events did not")', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    expect(first.request.headers).not.toHaveProperty('last-event-id')
    first.send('id: abc\ndata: Hello\n\n')
    first.send('data: World\n\n')
    await client.requireEvents({ id: 'abc', data: 'Hello' }, { id: 'abc', data: 'World' })
    first.breakConnection()
    const second = await h.awaitConnection(1)
    expect(second.request.headers['last-event-id']).toBe('abc')
  })

  test('after an empty id field, the reconnection request has no Last-Event-ID header at all ("last event ID can be explicitly overridden with an empty value")', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    expect(first.request.headers).not.toHaveProperty('last-event-id')
    first.send('id: abc\ndata: Hello\n\n')
    first.send('id: \ndata: World\n\n')
    await client.requireEvents({ id: 'abc', data: 'Hello' }, { id: '', data: 'World' })
    first.breakConnection()
    const second = await h.awaitConnection(1)
    expect(second.request.headers).not.toHaveProperty('last-event-id')
    expect(second.request.rawHeaders.map((name) => name.toLowerCase())).not.toContain('last-event-id')
  })

  test('a POST stream sends the same method, Content-Type and body again when it reconnects ("resends request body if any when reconnecting")', async () => {
    const body = '{"hello": "world"}'
    const { stream: first } = await h.streamAndClient({
      ...NO_DELAY,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })
    expect(first.request.method).toBe('POST')
    expect(first.request.body).toBe(body)
    first.breakConnection()
    const second = await h.awaitConnection(1)
    expect(second.request.method).toBe('POST')
    expect(second.request.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(second.request.body).toBe(body)
  })

  test('with `readTimeout`, a stream silent for that long is dropped with a timeout error and reconnected ("can set read timeout")', async () => {
    const readTimeout = 120
    const { stream, client } = await h.streamAndClient({ ...NO_DELAY, readTimeout })
    stream.send('data: Hello\n\n')
    await client.requireEvents({ data: 'Hello' })
    const heardAt = Date.now()
    const error = await client.requireError(1)
    // Not before the read timeout has run from the last byte (a little slack for timer rounding).
    expect(Date.now() - heardAt).toBeGreaterThanOrEqual(readTimeout - 30)
    expect(error.kind).toBe('timeout')
    expect(error.retryDelay).toBeDefined()
    const second = await h.awaitConnection(1)
    second.send('data: again\n\n')
    await client.requireEvents({ data: 'again' })
  })

  for (const [how, drop] of [
    ['ends cleanly', 'breakConnection'],
    ['is reset', 'resetConnection'],
  ] as const) {
    test(`an event cut short when the stream ${how} is discarded, and its id is not kept ("discards partial messages on retry")`, async () => {
      const { stream: first, client } = await h.streamAndClient(NO_DELAY)
      first.send('id: abc\ndata: Hello\n\nid: def\ndata: Goodbye')
      await client.requireEvents({ id: 'abc', data: 'Hello' })
      first[drop]()
      const second = await h.awaitConnection(1)
      expect(second.request.headers['last-event-id']).toBe('abc')
      second.send('data: We meet again\n\n')
      // Neither "Goodbye" nor a line glued from both streams; the id is still the last complete one.
      await client.requireEvents({ id: 'abc', data: 'We meet again' })
    })
  }

  test('the connection made after a break works like the first: open again, events with their ids ("new connection established after breaking previous is functional")', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    expect(first.request.headers).not.toHaveProperty('last-event-id')
    first.send('id: abc\ndata: Hello\n\n')
    await client.requireEvents({ id: 'abc', data: 'Hello' })
    first.breakConnection()
    const second = await h.awaitConnection(1)
    second.send('id: def\ndata: World\n\n')
    await client.requireEvents({ id: 'def', data: 'World' })
    expect(client.opens).toBe(2)
    expect(client.source.readyState).toBe(EventSource.OPEN)
    expect(client.errors.map((e) => e.kind)).toEqual(['end'])
  })

  test('a BOM at the start of the reconnected stream is dropped too: each response is decoded afresh (tests_bom.go "BOM at start of stream is stripped", on a reconnection)', async () => {
    const { stream: first, client } = await h.streamAndClient(NO_DELAY)
    first.send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: one\n\n')]))
    await client.requireEvents({ data: 'one' })
    first.breakConnection()
    const second = await h.awaitConnection(1)
    second.send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: two\n\n')]))
    await client.requireEvents({ data: 'two' })
  })

  test('a retry field from the server sets the reconnection delay (their InitialDelayMS, set by the stream)', async () => {
    const { stream: first, client } = await h.streamAndClient({ backoff: constantBackoff })
    first.send('retry: 5\ndata: Hello\n\n')
    await client.requireEvents({ data: 'Hello' })
    first.breakConnection()
    const error = await client.requireError(1)
    expect(error.retryDelay).toBe(5)
    await h.awaitConnection(1)
  })
})

describe('contract: reconnection after HTTP errors (not in tests_reconnection.go; LaunchDarkly clients retry 5xx, we do with shouldRetry)', () => {
  test('with shouldRetry: f => f.status === undefined || f.status >= 500, a 503 and a 500 on reconnection are retried until a stream answers', async () => {
    let attempt = 0
    h.server.route('/flaky', (_req, res) => {
      attempt += 1
      if (attempt === 1) startStream(res).end('id: 1\ndata: first\n\n')
      else if (attempt === 2) res.writeHead(503).end()
      else if (attempt === 3) res.writeHead(500).end()
      else startStream(res).write('id: 2\ndata: second\n\n')
    })
    const client = h.startClient({ ...NO_DELAY, shouldRetry: retryServerErrors }, [], h.server.url('/flaky'))
    await client.requireEvents({ id: '1', data: 'first' }, { id: '2', data: 'second' })
    // The end of a 200 stream has no status (it was not the response that was wrong), which is
    // what lets `status === undefined` retry it.
    expect(client.errors.map((e) => [e.kind, e.status])).toEqual([
      ['end', undefined],
      ['http', 503],
      ['http', 500],
    ])
    expect(client.errors.every((e) => e.retryDelay !== undefined)).toBe(true)
    // Every retry still sends the last event id.
    expect(h.server.requestsTo('/flaky').map((r) => r.headers['last-event-id'])).toEqual([undefined, '1', '1', '1'])
  })

  test('with the same shouldRetry, a 401 on reconnection closes the source', async () => {
    let attempt = 0
    h.server.route('/revoked', (_req, res) => {
      attempt += 1
      if (attempt === 1) startStream(res).end('data: first\n\n')
      else res.writeHead(401).end()
    })
    const client = h.startClient({ ...NO_DELAY, shouldRetry: retryServerErrors }, [], h.server.url('/revoked'))
    const error = await client.requireError(2)
    expect([error.kind, error.status, error.retryDelay]).toEqual(['http', 401, undefined])
    expect(client.source.readyState).toBe(EventSource.CLOSED)
    await settle(50)
    expect(h.server.requestsTo('/revoked')).toHaveLength(2)
  })

  test('without shouldRetry (the spec default), a 503 on reconnection closes the source', async () => {
    let attempt = 0
    h.server.route('/down', (_req, res) => {
      attempt += 1
      if (attempt === 1) startStream(res).end('data: first\n\n')
      else res.writeHead(503).end()
    })
    const client = h.startClient(NO_DELAY, [], h.server.url('/down'))
    const error = await client.requireError(2)
    expect([error.kind, error.status, error.retryDelay]).toEqual(['http', 503, undefined])
    expect(client.source.readyState).toBe(EventSource.CLOSED)
    await settle(50)
    expect(h.server.requestsTo('/down')).toHaveLength(2)
  })
})
