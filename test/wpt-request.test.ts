/**
 * What the source puts on the wire and how it treats the response status, after the
 * web-platform-tests `eventsource/request-*` files, re-expressed against loopback servers. Spec:
 * HTML § 9.2.2 (the EventSource constructor, steps 5–12) and § 9.2.3 (processing the response).
 */
import type { EventSourceErrorEvent } from '../src'
import { dataOf, recordEvents, settle, waitFor, type RecordedEvent } from './helpers/recorder'
import { startServer, startStream } from './helpers/server'
import { echoHeaderHandler, freshPath, rawHeaderCount, redirectHandler, statusErrorHandler } from './helpers/wpt-handlers'
import { useSharedServers } from './helpers/per-test'

/** Two servers: another port on the loopback host is another origin. */
const {
  servers: [server, other],
  open,
} = useSharedServers(2, () => startServer())

function summary(events: RecordedEvent[]): unknown {
  return events.map((e) => [e.type, e.data, e.readyState])
}

/** Opens a source on `url` and waits for its first message event. */
async function firstMessage(url: string): Promise<RecordedEvent> {
  const source = open(url)
  const events = recordEvents(source)
  await waitFor(() => dataOf(events).length > 0, { message: `a message from ${url}`, describe: () => summary(events) })
  source.close()
  return events.find((e) => e.type === 'message') as RecordedEvent
}

describe('request-accept (WPT)', () => {
  test('sends exactly one Accept header, text/event-stream', async () => {
    const path = freshPath('accept')
    server.route(path, echoHeaderHandler('accept'))
    const message = await firstMessage(server.url(path))
    expect(message.data).toBe('text/event-stream')
    expect(rawHeaderCount(server.requestsTo(path)[0].rawHeaders, 'accept')).toBe(1)
  })
})

describe('request-cache-control (WPT)', () => {
  test('sends Cache-Control: no-cache exactly once, the same on a second source', async () => {
    const path = freshPath('cache-control')
    server.route(path, echoHeaderHandler('cache-control'))
    for (let round = 0; round < 2; round++) {
      const message = await firstMessage(server.url(path))
      expect(message.data).toBe('no-cache')
    }
    const requests = server.requestsTo(path)
    expect(requests).toHaveLength(2)
    for (const request of requests) expect(rawHeaderCount(request.rawHeaders, 'cache-control')).toBe(1)
  })

  test('sends Cache-Control: no-cache exactly once to another origin too', async () => {
    const path = freshPath('cache-control-cross')
    other.route(path, echoHeaderHandler('cache-control'))
    const message = await firstMessage(other.url(path))
    expect(message.data).toBe('no-cache')
    expect(rawHeaderCount(other.requestsTo(path)[0].rawHeaders, 'cache-control')).toBe(1)
  })
})

/**
 * WPT checks that cookies travel only with `withCredentials: true`. Node's fetch keeps no cookie
 * jar, so that part belongs to the browser suite; here we check what Node can observe: the
 * credentials mode the source hands to fetch (constructor steps 6–8) and the attribute.
 */
describe('request-credentials (WPT, the part observable in Node)', () => {
  async function initSeenBy(init: { withCredentials?: boolean } | undefined): Promise<RequestInit> {
    const path = freshPath('credentials')
    other.route(path, (_req, res) => void startStream(res).end('data: data\n\n'))
    const seen: RequestInit[] = []
    const source = open(other.url(path), {
      ...init,
      // Observes the RequestInit and hands it to the real fetch unchanged.
      fetch: (input, requestInit) => {
        seen.push(requestInit)
        return fetch(input, requestInit)
      },
    })
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length > 0, { message: 'a message', describe: () => summary(events) })
    expect(other.requestsTo(path)).toHaveLength(1)
    return seen[0]
  }

  test('asks fetch for credentials mode "include" when withCredentials is true', async () => {
    const init = await initSeenBy({ withCredentials: true })
    expect(init.credentials).toBe('include')
    expect(init.mode).toBe('cors')
  })

  test('asks fetch for credentials mode "same-origin" when withCredentials is false', async () => {
    const init = await initSeenBy({ withCredentials: false })
    expect(init.credentials).toBe('same-origin')
    expect(init.mode).toBe('cors')
  })

  test('asks fetch for credentials mode "same-origin" by default', async () => {
    const init = await initSeenBy(undefined)
    expect(init.credentials).toBe('same-origin')
  })
})

describe('request-redirect (WPT)', () => {
  test.each([301, 302, 303, 307, 308])(
    'follows a %i redirect, takes the origin of the final URL and reconnects to the original URL',
    async (status) => {
      const finalPath = freshPath(`redirected-${status}`)
      const startPath = freshPath(`redirect-${status}`)
      other.route(finalPath, (_req, res) => void startStream(res).end('retry: 10\ndata: data\n\n'))
      server.route(startPath, redirectHandler(status, other.url(finalPath)))

      const source = open(server.url(startPath))
      const events = recordEvents(source)
      await waitFor(() => dataOf(events).length >= 2, { message: 'two messages', describe: () => summary(events) })
      source.close()

      expect(events[0].type).toBe('open')
      expect(events[0].readyState).toBe(source.OPEN)
      const messages = events.filter((e) => e.type === 'message')
      for (const message of messages) expect(message.origin).toBe(other.origin)
      // Only the end of each stream is an error, and each of those reconnects.
      for (const error of events.filter((e) => e.type === 'error')) expect(error.readyState).toBe(source.CONNECTING)
      // The url attribute stays the URL the source was made with.
      expect(source.url).toBe(server.url(startPath))
      // Each reconnection starts again at the original URL and is redirected again.
      expect(server.requestsTo(startPath).length).toBeGreaterThanOrEqual(2)
      expect(other.requestsTo(finalPath).length).toBeGreaterThanOrEqual(2)
    },
  )
})

describe('request-status-error (WPT)', () => {
  test.each([204, 205, 210, 299, 404, 410, 500, 503])(
    'fails the connection on HTTP %i: one error event, CLOSED, no message, no reconnection',
    async (status) => {
      const path = freshPath(`status-${status}`)
      server.route(path, statusErrorHandler(status))
      // A short initial reconnection time, so a wrong reconnection would show within settle().
      const source = open(server.url(path), { retryDelay: 10 })
      const events = recordEvents(source)
      await waitFor(() => events.length > 0, { message: 'the first event' })
      await settle(150)
      expect(events.map((e) => [e.type, e.readyState])).toEqual([['error', source.CLOSED]])
      expect((events[0].event as EventSourceErrorEvent).status).toBe(status)
      expect(source.readyState).toBe(source.CLOSED)
      expect(server.requestsTo(path)).toHaveLength(1)
    },
  )
})
