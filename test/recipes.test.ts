/**
 * The README's recipes, run as written against loopback servers: a token refreshed after a 401,
 * and a finite POST stream (an LLM answer) that is not sent again once the server ended it.
 */
import { EventSource, type ConnectionFailure, type EventSourceErrorEvent } from '../src'
import { useServerPerTest } from './helpers/per-test'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream } from './helpers/server'

const { server, open } = useServerPerTest()

describe('recipe: refreshing a token on 401', () => {
  test('the retry after a 401 carries the new token and the same Last-Event-ID', async () => {
    // The server accepts only the latest token issued, for one connection: it has expired when the
    // stream ends, so the next request with it gets a 401.
    let issued = 0
    let accepted: string | undefined
    const fetchToken = async () => (accepted = `token-${++issued}`)
    server.route('/feed', (req, res, request) => {
      const token = String(req.headers.authorization ?? '').replace('Bearer ', '')
      if (token !== accepted) return void res.writeHead(401).end()
      accepted = undefined
      startStream(res).end(`retry: 10\nid: ${request.attempt}-a\ndata: ${token}\n\n`)
    })

    // The recipe, as in the README:
    let token = fetchToken()
    const source = open('/feed', {
      headers: async () => ({ Authorization: `Bearer ${await token}` }),
      shouldRetry(failure: ConnectionFailure) {
        if (failure.status === 401 && failure.attempt <= 3) {
          token = fetchToken()
          return true
        }
        return failure.kind === 'network' || failure.kind === 'end' || failure.kind === 'timeout'
      },
    })

    const events = recordEvents(source, ['message'])
    await waitFor(() => events.length >= 2)
    source.close()
    const requests = server.requestsTo('/feed')
    // token-1 works; the retry with it after the end gets 401; the next has the refreshed token.
    expect(requests.slice(0, 3).map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2'])
    expect(requests.slice(1, 3).map((r) => r.headers['last-event-id'])).toEqual(['0-a', '0-a'])
    expect(dataOf(events).slice(0, 2)).toEqual(['token-1', 'token-2'])
  })

  test('a token that keeps being refused closes the source after three tries', async () => {
    server.route('/revoked', (_req, res) => void res.writeHead(401).end())
    const source = open('/revoked', {
      retryDelay: 5,
      shouldRetry: (failure: ConnectionFailure) => failure.status === 401 && failure.attempt <= 3,
    })
    const errors: EventSourceErrorEvent[] = []
    source.addEventListener('error', (event) => errors.push(event))
    await waitFor(() => source.readyState === EventSource.CLOSED, { timeoutMs: 5000 })
    expect(errors.map((e) => e.retryDelay === undefined)).toEqual([false, false, false, true])
    expect(server.requestsTo('/revoked')).toHaveLength(4)
  })
})

describe('recipe: a finite stream over POST (an LLM answer)', () => {
  test('the answer is streamed once: when the server ends it, the request is not sent again', async () => {
    server.route('/v1/answer', (_req, res) => {
      startStream(res).end('data: {"token":"Hel"}\n\ndata: {"token":"lo"}\n\ndata: [DONE]\n\n')
    })
    const source = open('/v1/answer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: 'Say hello' }),
      retryDelay: 10,
      // Reconnect only when the answer was cut off, never after the server ended it.
      shouldRetry: (failure: ConnectionFailure) => failure.kind === 'network' || failure.kind === 'timeout',
    })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(100)
    expect(typesOf(events)).toEqual(['open', 'message', 'message', 'message', 'error'])
    expect((events[4].event as EventSourceErrorEvent).kind).toBe('end')
    expect(server.requestsTo('/v1/answer')).toHaveLength(1)
    expect(server.requestsTo('/v1/answer')[0].body).toBe('{"prompt":"Say hello"}')
  })

  test('an answer cut off mid-stream is asked for again, with Last-Event-ID', async () => {
    server.route('/v1/answer', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).write('id: 1\ndata: Hel\n\ndata: l')
      else startStream(res).end('id: 2\ndata: lo\n\n')
      if (request.attempt === 0) setTimeout(() => res.destroy(), 50)
    })
    const source = open('/v1/answer', {
      method: 'POST',
      body: '{}',
      retryDelay: 10,
      shouldRetry: (failure: ConnectionFailure) => failure.kind === 'network' || failure.kind === 'timeout',
    })
    const events = recordEvents(source, ['message'])
    await waitFor(() => source.readyState === EventSource.CLOSED)
    expect(dataOf(events)).toEqual(['Hel', 'lo'])
    expect(server.requestsTo('/v1/answer').map((r) => r.headers['last-event-id'])).toEqual([undefined, '1'])
  })
})
