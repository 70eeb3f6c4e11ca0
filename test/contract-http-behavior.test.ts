/**
 * LaunchDarkly's SSE contract tests, "HTTP behavior" (ssetests/tests_http_behavior.go), restated
 * against our EventSource and loopback routes. Their client parameters map to our options:
 * custom headers → `headers`; method and body → `method`/`body`; initial Last-Event-ID →
 * `lastEventId`. Their "server-directed-shutdown-request" capability (a 204 stops the client) is
 * the spec's default for us.
 */
import { EventSource } from '../src'
import { useContractHarness } from './helpers/contract-harness'
import { settle } from './helpers/recorder'

const h = useContractHarness()

describe('contract: HTTP behavior (tests_http_behavior.go)', () => {
  test('the request is a GET with Accept: text/event-stream, Cache-Control: no-cache and no Last-Event-ID ("default method and headers")', async () => {
    const { stream } = await h.streamAndClient()
    expect(stream.request.method).toBe('GET')
    expect(stream.request.headers.accept).toBe('text/event-stream')
    expect(stream.request.headers['cache-control']).toBe('no-cache')
    expect(stream.request.headers).not.toHaveProperty('last-event-id')
    expect(stream.request.body).toBe('')
  })

  test('a 204 response stops the client: one request, no reconnection, readyState CLOSED ("204 halts re-connection attempts")', async () => {
    h.server.route('/no-content', (_req, res) => void res.writeHead(204).end())
    const client = h.startClient({ retryDelay: 5 }, [], h.server.url('/no-content'))
    const error = await client.requireError(1)
    expect(error.kind).toBe('http')
    expect(error.status).toBe(204)
    expect(error.retryDelay).toBeUndefined()
    // Ample time for a reconnection at the 5 ms reconnection time, had there been one.
    await settle(150)
    expect(h.server.requestsTo('/no-content')).toHaveLength(1)
    expect(client.source.readyState).toBe(EventSource.CLOSED)
    expect(client.errors).toHaveLength(1)
  })

  for (const status of [301, 307]) {
    test(`a ${status} redirect is followed to the stream, whose events are delivered ("client follows ${status} redirect")`, async () => {
      h.server.route('/moved', (_req, res) => void res.writeHead(status, { location: h.streamUrl }).end())
      const client = h.startClient(undefined, [], h.server.url('/moved'))
      const stream = await h.awaitConnection(0)
      stream.send('data: hello\n\n')
      await client.requireEvents({ data: 'hello' })
      expect(h.server.requestsTo('/moved')).toHaveLength(1)
    })

    test(`a ${status} with an empty Location ends the attempt in an error event within fetch's redirect limit, not a silent loop ("client handles empty Location header with ${status} status")`, async () => {
      // Fetch resolves an empty Location to the same URL, so it is a redirect loop that fetch's
      // limit of 20 redirects turns into a network error, which the spec retries.
      h.server.route('/loop', (_req, res) => void res.writeHead(status, { location: '' }).end())
      const client = h.startClient({ retryDelay: 60000 }, [], h.server.url('/loop'))
      const error = await client.requireError(1)
      expect(error.kind).toBe('network')
      // A network error is retried (at the 60 s reconnection time here), not a dead end.
      expect(client.source.readyState).toBe(EventSource.CONNECTING)
      expect(client.events).toEqual([])
      expect(h.server.requestsTo('/loop').length).toBeLessThanOrEqual(21)
    })

    test(`a ${status} without a Location is an HTTP error that fails the connection ("client handles missing Location header with ${status} status")`, async () => {
      h.server.route('/nowhere', (_req, res) => void res.writeHead(status).end())
      const client = h.startClient({ retryDelay: 5 }, [], h.server.url('/nowhere'))
      const error = await client.requireError(1)
      expect(error.kind).toBe('http')
      expect(error.status).toBe(status)
      expect(client.source.readyState).toBe(EventSource.CLOSED)
      await settle(50)
      expect(h.server.requestsTo('/nowhere')).toHaveLength(1)
    })
  }

  test('the `headers` option sends each custom header with the request ("custom headers")', async () => {
    const { stream } = await h.streamAndClient({ headers: { 'header-name-1': 'value-1', 'header-name-2': 'value-2' } })
    expect(stream.request.headers['header-name-1']).toBe('value-1')
    expect(stream.request.headers['header-name-2']).toBe('value-2')
    // The defaults stay.
    expect(stream.request.headers.accept).toBe('text/event-stream')
  })

  for (const method of ['POST', 'REPORT']) {
    test(`\`method: '${method}'\` with \`body\` and a Content-Type header sends all three ("${method} request")`, async () => {
      const body = '{"hello": "world"}'
      const { stream, client } = await h.streamAndClient({
        method,
        body,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      })
      expect(stream.request.method).toBe(method)
      expect(stream.request.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(stream.request.body).toBe(body)
      // And the response is still read as an event stream.
      stream.send('data: ok\n\n')
      await client.requireEvents({ data: 'ok' })
    })
  }

  test('the `lastEventId` option sends Last-Event-ID on the first request ("sends Last-Event-Id in initial request if set")', async () => {
    const { stream } = await h.streamAndClient({ lastEventId: 'abc' })
    expect(stream.request.headers['last-event-id']).toBe('abc')
  })
})
