import { EventSource, type FetchLike } from '../src'
import { dataOf, recordEvents, typesOf, waitFor } from './helpers/recorder'
import { useServerPerTest } from './helpers/per-test'
import { startServer, startStream, streamAndHold, streamThenEnd } from './helpers/server'

const { server, open } = useServerPerTest()

/** Passes every call to the real global fetch, keeping the RequestInit the source built. */
function recordingFetch(): { fetch: FetchLike; inits: RequestInit[] } {
  const inits: RequestInit[] = []
  const fetch: FetchLike = (input, init) => {
    inits.push(init)
    return globalThis.fetch(input, init)
  }
  return { fetch, inits }
}

function rawHeaderCount(rawHeaders: string[], name: string): number {
  return rawHeaders.filter((value, index) => index % 2 === 0 && value.toLowerCase() === name).length
}

describe('the request (HTML § 9.2.2 constructor steps 8–11)', () => {
  test('is a GET with Accept: text/event-stream (step 10)', async () => {
    server.route('/s', streamAndHold(':\n'))
    const source = open('/s')
    await waitFor(() => source.readyState === EventSource.OPEN)
    const [request] = server.requests
    expect(request.method).toBe('GET')
    expect(request.headers.accept).toBe('text/event-stream')
    expect(request.body).toBe('')
  })

  test('uses cache mode no-store, which sends Cache-Control: no-cache exactly once (step 11)', async () => {
    server.route('/s', streamAndHold(':\n'))
    const { fetch, inits } = recordingFetch()
    const source = open('/s', { fetch })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(inits[0].cache).toBe('no-store')
    const [request] = server.requests
    expect(request.headers['cache-control']).toBe('no-cache')
    expect(rawHeaderCount(request.rawHeaders, 'cache-control')).toBe(1)
  })

  test('is a CORS request with credentials "same-origin" by default (steps 6 and 8)', async () => {
    server.route('/s', streamAndHold(':\n'))
    const { fetch, inits } = recordingFetch()
    const source = open('/s', { fetch })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(inits[0]).toMatchObject({ mode: 'cors', credentials: 'same-origin', redirect: 'follow' })
  })

  test('uses credentials "include" when withCredentials is true (step 7)', async () => {
    server.route('/s', streamAndHold(':\n'))
    const { fetch, inits } = recordingFetch()
    const source = open('/s', { fetch, withCredentials: true })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(inits[0]).toMatchObject({ mode: 'cors', credentials: 'include' })
  })

  test('sends no Last-Event-ID header while the last event ID is empty', async () => {
    server.route('/s', streamThenEnd('retry: 5\ndata: a\n\n'))
    const source = open('/s')
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, undefined])
  })

  test('follows redirects and gives messages the origin of the final URL', async () => {
    const other = await startServer({ '/final': streamAndHold('data: moved\n\n') })
    try {
      server.route('/s', (_req, res) => res.writeHead(307, { location: other.url('/final') }).end())
      const source = open('/s')
      const events = recordEvents(source)
      await waitFor(() => dataOf(events).length === 1)
      expect(events.find((e) => e.type === 'message')?.origin).toBe(other.origin)
      expect(source.url).toBe(server.url('/s'))
    } finally {
      await other.close()
    }
  })

  test('a reconnection requests the original URL, not the redirected one (reestablish step 5.2)', async () => {
    server.route('/s', (_req, res) => res.writeHead(302, { location: '/final' }).end())
    server.route('/final', streamThenEnd('retry: 5\nid: 7\ndata: moved\n\n'))
    const source = open('/s')
    await waitFor(() => server.requests.length >= 4)
    source.close()
    expect(server.requests.slice(0, 4).map((r) => r.url)).toEqual(['/s', '/final', '/s', '/final'])
    expect(server.requests[2].headers['last-event-id']).toBe('7')
  })
})

describe('Last-Event-ID (HTML § 9.2.3 reestablish the connection, step 5.3)', () => {
  test('is sent on reconnection with the last event ID string', async () => {
    server.route('/s', streamThenEnd('retry: 5\nid: 41\ndata: a\n\nid: 42\ndata: b\n\n'))
    const source = open('/s')
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(server.requests[1].headers['last-event-id']).toBe('42')
  })

  test('carries a non-ASCII id as its UTF-8 bytes', async () => {
    server.route('/s', streamThenEnd('retry: 5\nid: ünï€😀\ndata: a\n\n'))
    const source = open('/s')
    await waitFor(() => server.requests.length >= 2)
    source.close()
    const header = server.requests[1].headers['last-event-id'] as string
    expect(Buffer.from(header, 'latin1').toString('utf8')).toBe('ünï€😀')
  })

  test('persists across reconnections when the new stream sends no id', async () => {
    let attempt = 0
    server.route('/s', (_req, res) => {
      attempt += 1
      startStream(res).end(attempt === 1 ? 'retry: 5\nid: first\ndata: a\n\n' : 'retry: 5\ndata: b\n\n')
    })
    const source = open('/s')
    await waitFor(() => server.requests.length >= 3)
    source.close()
    expect(server.requests.slice(1, 3).map((r) => r.headers['last-event-id'])).toEqual(['first', 'first'])
  })

  test('an id-only block (no data) still updates the last event ID', async () => {
    server.route('/s', streamThenEnd('retry: 5\nid: only-id\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(dataOf(events)).toEqual([])
    expect(server.requests[1].headers['last-event-id']).toBe('only-id')
  })

  test('an empty id: resets the last event ID, so no header is sent', async () => {
    let attempt = 0
    server.route('/s', (_req, res) => {
      attempt += 1
      startStream(res).end(attempt === 1 ? 'retry: 5\nid: 9\ndata: a\n\nid\ndata: b\n\n' : 'retry: 5\n\n')
    })
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => server.requests.length >= 2)
    source.close()
    expect(events.filter((e) => e.type === 'message').map((e) => e.lastEventId)).toEqual(['9', ''])
    expect(server.requests[1].headers['last-event-id']).toBeUndefined()
    expect(typesOf(events).slice(0, 4)).toEqual(['open', 'message', 'message', 'error'])
  })
})
