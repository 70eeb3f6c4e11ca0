import { EventSource, type EventSourceErrorEvent, type FetchLike } from '../src'
import { dataOf, recordEvents, waitFor } from './helpers/recorder'
import { streamAndHold, streamThenEnd } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest({ '/end': streamThenEnd('retry: 5\nid: e1\ndata: a\n\n'), '/hold': streamAndHold(':\n') })

describe('extension: headers', () => {
  test('static headers are sent on the first and on every later attempt', async () => {
    const source = open('/end', { headers: { Authorization: 'Bearer abc', 'X-Client': 'test' } })
    await waitFor(() => server.requests.length >= 3)
    source.close()
    for (const request of server.requests.slice(0, 3)) {
      expect(request.headers).toMatchObject({ authorization: 'Bearer abc', 'x-client': 'test', accept: 'text/event-stream' })
    }
  })

  test('headers may be a Headers object or an array of pairs', async () => {
    open('/hold', { headers: new Headers({ 'X-One': '1' }) })
    open('/hold', { headers: [['X-Two', '2']] })
    await waitFor(() => server.requests.length === 2)
    const seen = server.requests.map((r) => r.headers['x-one'] ?? r.headers['x-two']).sort()
    expect(seen).toEqual(['1', '2'])
  })

  test('a headers function is called once before every attempt, so a token can be refreshed', async () => {
    let calls = 0
    const source = open('/end', { headers: () => ({ Authorization: `Bearer token-${++calls}` }) })
    await waitFor(() => server.requests.length >= 3)
    source.close()
    expect(server.requests.slice(0, 3).map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3'])
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(calls).toBeLessThanOrEqual(server.requests.length + 1)
  })

  test('an async headers function is awaited before the request', async () => {
    const source = open('/end', {
      headers: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        return { 'X-Async': 'yes' }
      },
    })
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests.map((r) => r.headers['x-async'])).toEqual(['yes', 'yes'])
  })

  test('custom headers do not displace Last-Event-ID, which the source still sets', async () => {
    const source = open('/end', { headers: () => ({ Authorization: 'x' }) })
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests[1].headers['last-event-id']).toBe('e1')
    expect(server.requests[1].headers.authorization).toBe('x')
  })

  test('a Last-Event-ID passed in headers is ignored: the source owns it (use the lastEventId option)', async () => {
    const source = open('/hold', { headers: { 'Last-Event-ID': 'forged' } })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(server.requests[0].headers['last-event-id']).toBeUndefined()
  })

  test('custom headers are merged over the defaults, which they can override', async () => {
    const source = open('/hold', { headers: { accept: 'text/event-stream, */*;q=0.1' } })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(server.requests[0].headers.accept).toBe('text/event-stream, */*;q=0.1')
  })

  test('a header value with CR or LF is refused at construction with a TypeError naming `headers`', () => {
    expect(() => open('/hold', { headers: { 'X-Evil': 'a\r\nInjected: 1' } })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('`headers`') }),
    )
    expect(() => open('/hold', { headers: { 'X-Evil': 'a\nb' } })).toThrow(TypeError)
    expect(() => open('/hold', { headers: [['Bad Name', 'v']] })).toThrow(/invalid `headers`: .*invalid header name/)
  })

  test('a headers function that throws is reported as an error event and retried', async () => {
    let calls = 0
    const source = open('/hold', {
      retryDelay: 5,
      headers: () => {
        calls += 1
        if (calls === 1) throw new Error('token service down')
        return { Authorization: 'fresh' }
      },
    })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.OPEN)
    const error = events[0].event as EventSourceErrorEvent
    expect(error.message).toContain('token service down')
    expect(error.kind).toBe('network')
    expect(error.retryDelay).toBeGreaterThanOrEqual(5)
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['fresh'])
  })

  test('a headers function returning a value with CR/LF fails that attempt instead of sending it', async () => {
    const source = open('/hold', { headers: () => ({ 'X-Evil': 'a\r\nb' }), shouldRetry: () => false })
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    expect(events[0].readyState).toBe(EventSource.CLOSED)
    expect(server.requests).toHaveLength(0)
  })
})

describe('extension: method and body', () => {
  test('a POST body is sent on the first request and again on every reconnection', async () => {
    const body = JSON.stringify({ prompt: 'hi' })
    const source = open('/end', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })
    await waitFor(() => server.requests.length >= 3)
    source.close()
    for (const request of server.requests.slice(0, 3)) {
      expect(request).toMatchObject({ method: 'POST', body })
      expect(request.headers['content-type']).toBe('application/json')
    }
  })

  test('REPORT with a body is sent as is', async () => {
    const source = open('/hold', { method: 'REPORT', body: '{"context":1}' })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(server.requests[0]).toMatchObject({ method: 'REPORT', body: '{"context":1}' })
  })

  test('URLSearchParams and typed-array bodies are re-sent intact', async () => {
    const source = open('/end', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'ü' }) })
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests.slice(0, 2).map((r) => r.body)).toEqual(['a=1&b=%C3%BC', 'a=1&b=%C3%BC'])
    const bytes = open('/end', { method: 'PUT', body: new TextEncoder().encode('raw') as unknown as ArrayBuffer })
    await waitFor(() => server.requestsTo('/end').filter((r) => r.method === 'PUT').length >= 2)
    bytes.close()
    expect(
      server.requests
        .filter((r) => r.method === 'PUT')
        .map((r) => r.body)
        .slice(0, 2),
    ).toEqual(['raw', 'raw'])
  })

  test('a body with GET or HEAD is refused with a TypeError naming `body`', () => {
    expect(() => open('/hold', { body: 'x' })).toThrow(/`body` must be absent with method GET/)
    expect(() => open('/hold', { method: 'HEAD', body: 'x' })).toThrow(TypeError)
  })

  test('a body that cannot be sent twice (a stream) is refused with a TypeError naming `body`', () => {
    expect(() => open('/hold', { method: 'POST', body: new ReadableStream() as unknown as string })).toThrow(/`body` must be/)
  })

  test('an invalid or forbidden method is refused with a TypeError naming `method`', () => {
    expect(() => open('/hold', { method: 'GE T' })).toThrow(/`method`/)
    expect(() => open('/hold', { method: 'CONNECT' })).toThrow(/`method` must be an HTTP method fetch can send, got "CONNECT"/)
    expect(() => open('/hold', { method: 42 as unknown as string })).toThrow(TypeError)
  })
})

describe('extension: fetch', () => {
  test('the given fetch is used for every attempt', async () => {
    const urls: string[] = []
    const fetch: FetchLike = (input, init) => {
      urls.push(input)
      return globalThis.fetch(input, init)
    }
    const source = open('/end', { fetch })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 2)
    source.close()
    expect(urls.length).toBeGreaterThanOrEqual(2)
    expect(new Set(urls)).toEqual(new Set([server.url('/end')]))
  })

  test('a fetch that rejects is a network error: error event, reconnection', async () => {
    let calls = 0
    const fetch: FetchLike = async (input, init) => {
      calls += 1
      if (calls === 1) throw new TypeError('proxy unreachable')
      return globalThis.fetch(input, init)
    }
    const source = open('/hold', { fetch, retryDelay: 5 })
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect((events[0].event as EventSourceErrorEvent).message).toBe('network error: proxy unreachable')
    expect(events[0].readyState).toBe(EventSource.CONNECTING)
  })

  test('a fetch that resolves to something that is not a response is a network error, not a crash', async () => {
    const fetch = (async () => ({})) as unknown as FetchLike
    const source = open('/hold', { fetch, shouldRetry: () => false })
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    expect(events[0].readyState).toBe(EventSource.CLOSED)
    expect((events[0].event as EventSourceErrorEvent).kind).toBe('network')
  })

  test('`fetch` that is not a function is refused with a TypeError naming `fetch`', () => {
    expect(() => open('/hold', { fetch: 'nope' as unknown as FetchLike })).toThrow(/`fetch` must be a function/)
  })
})

describe('extension: lastEventId', () => {
  test('is sent as Last-Event-ID on the first request, then the stream’s own id takes over', async () => {
    const source = open('/end', { lastEventId: 'resume-7' })
    const events = recordEvents(source)
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests.map((r) => r.headers['last-event-id']).slice(0, 2)).toEqual(['resume-7', 'e1'])
    expect(events.find((e) => e.type === 'message')?.lastEventId).toBe('e1')
  })

  test('an id with CR, LF or NUL is refused with a TypeError naming `lastEventId`', () => {
    expect(() => open('/hold', { lastEventId: 'a\nb' })).toThrow(/`lastEventId`/)
    expect(() => open('/hold', { lastEventId: 'a\0b' })).toThrow(TypeError)
    expect(() => open('/hold', { lastEventId: 5 as unknown as string })).toThrow(/`lastEventId` must be a string/)
  })
})
