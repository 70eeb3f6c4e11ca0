import crossFetch from 'cross-fetch'
import { EventSource, type FetchLike } from '../src'
import { dataOf, recordEvents, typesOf, waitFor } from './helpers/recorder'
import { streamInPieces, streamThenEnd } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

/** Constructs a source while the runtime has no global fetch. */
function openWithoutGlobalFetch(path: string): EventSource {
  const saved = globalThis.fetch
  // @ts-expect-error -- simulating a runtime without fetch
  delete globalThis.fetch
  try {
    return open(path)
  } finally {
    globalThis.fetch = saved
  }
}

describe('transport: the global fetch, else cross-fetch', () => {
  test('without a global fetch, the cross-fetch fallback streams events (a Node stream body)', async () => {
    server.route('/s', streamInPieces(['retry: 10\nid: 1\ndata: one\n\n', 'data: t', 'wo\n\n']))
    const source = openWithoutGlobalFetch('/s')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 3)
    source.close()
    expect(dataOf(events).slice(0, 3)).toEqual(['one', 'two', 'one'])
    expect(typesOf(events).slice(0, 4)).toEqual(['open', 'message', 'message', 'error'])
    // node-fetch does not add Cache-Control for cache mode no-store: the source sends it.
    expect(server.requests[0].headers['cache-control']).toBe('no-cache')
    expect(server.requests[0].headers.accept).toBe('text/event-stream')
    expect(server.requests[1].headers['last-event-id']).toBe('1')
  })

  test('a fetch whose body is a Node stream: a multi-byte character split across chunks survives', async () => {
    const bytes = Buffer.from('data: 😀é\n\n')
    server.route('/s', streamInPieces([bytes.subarray(0, 7), bytes.subarray(7, 9), bytes.subarray(9)], { hold: true }))
    const source = open('/s', { fetch: crossFetch as unknown as FetchLike })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    expect(dataOf(events)).toEqual(['😀é'])
  })

  test('with cross-fetch, a failure status still fails the connection and its body is released', async () => {
    let closed = false
    server.route('/s', (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).write('down')
      res.on('close', () => (closed = true))
    })
    const source = openWithoutGlobalFetch('/s')
    const events = recordEvents(source)
    await waitFor(() => events.length === 1)
    expect(events[0]).toMatchObject({ type: 'error', readyState: EventSource.CLOSED })
    await waitFor(() => closed, { message: 'the server to see the 503 body released' })
  })

  test('with cross-fetch, close() mid-stream ends the connection', async () => {
    let closed = false
    server.route('/s', (_req, res) => {
      streamInPieces(['data: a\n\n'], { hold: true })(_req, res, server.requests[0])
      res.on('close', () => (closed = true))
    })
    const source = openWithoutGlobalFetch('/s')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length === 1)
    source.close()
    await waitFor(() => closed, { message: 'the server to see the connection closed' })
  })

  test('a custom fetch whose body yields a chunk that is not bytes fails the attempt (network) and reconnects, dispatching none of it', async () => {
    server.route('/s', streamThenEnd('retry: 10\n\n'))
    let cancelled = 0
    // A real response from the server, whose body hands out text instead of bytes.
    const textBody: FetchLike = async (url, init) => {
      const response = await fetch(url, init)
      await response.body?.cancel()
      const reader = { read: async () => ({ done: false, value: 'data: text\n\n' }), cancel: async () => void cancelled++ }
      return {
        status: response.status,
        url: response.url,
        headers: response.headers,
        body: { getReader: () => reader },
      } as unknown as Response
    }
    const source = open('/s', { fetch: textBody, retryDelay: 10 })
    const events = recordEvents(source)
    await waitFor(() => events.filter((event) => event.type === 'error').length >= 2)
    source.close()
    expect(dataOf(events)).toEqual([])
    expect(events.slice(0, 2).map((event) => event.type)).toEqual(['open', 'error'])
    expect(events[1]).toMatchObject({ readyState: EventSource.CONNECTING })
    expect(events[1].event).toMatchObject({ kind: 'network' })
    expect(cancelled).toBeGreaterThanOrEqual(1)
  })

  test('the global fetch is looked up at construction, not when the module loads', async () => {
    server.route('/s', streamThenEnd('data: a\n\n'))
    const calls: string[] = []
    const saved = globalThis.fetch
    globalThis.fetch = ((input: string, init: RequestInit) => {
      calls.push(input)
      return saved(input, init)
    }) as typeof fetch
    try {
      open('/s')
      await waitFor(() => calls.length === 1)
    } finally {
      globalThis.fetch = saved
    }
  })
})
