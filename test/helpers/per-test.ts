import { EventSource, type EventSourceInit } from '../../src'
import { startServer, type RouteHandler, type TestServer } from './server'

/**
 * Gives a test file a fresh loopback server for every test, and an `open()` that creates sources
 * which are closed after the test. `server` always stands for the current test's server.
 */
export function useServerPerTest(routes: Record<string, RouteHandler> = {}): {
  server: TestServer
  open(pathOrUrl: string, init?: EventSourceInit): EventSource
} {
  let current: TestServer | undefined
  const sources: EventSource[] = []
  const now = (): TestServer => {
    if (!current) throw new Error('useServerPerTest: the server only exists inside a test')
    return current
  }

  beforeEach(async () => {
    current = await startServer(routes)
  })
  afterEach(async () => {
    sources.splice(0).forEach((source) => source.close())
    await current?.close()
    current = undefined
  })

  const server: TestServer = {
    get origin() {
      return now().origin
    },
    get port() {
      return now().port
    },
    get requests() {
      return now().requests
    },
    url: (path) => now().url(path),
    requestsTo: (path) => now().requestsTo(path),
    route: (path, handler) => now().route(path, handler),
    close: () => now().close(),
  }

  /** A source on `pathOrUrl` (a path on the test server, or any URL), closed after the test. */
  function open(pathOrUrl: string, init?: EventSourceInit): EventSource {
    const source = new EventSource(pathOrUrl.startsWith('/') ? server.url(pathOrUrl) : pathOrUrl, init)
    sources.push(source)
    return source
  }

  return { server, open }
}
