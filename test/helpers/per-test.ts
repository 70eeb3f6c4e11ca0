import { EventSource, type EventSourceInit } from '../../src'
import { startServer, type RouteHandler, type TestServer } from './server'

/** Something a test server offers: a URL for a path, and a way to stop. */
interface ServerLike {
  url(path: string): string
  close(): Promise<void>
}

/**
 * A stand-in for a server that only exists while tests run: every property is read from the
 * current one (methods bound to it), so test files can name it once at the top.
 */
function current<S extends object>(get: () => S | undefined): S {
  return new Proxy({} as S, {
    get(_target, key) {
      const server = get()
      if (!server) throw new Error('the test server only exists inside a test')
      const value: unknown = Reflect.get(server, key, server)
      return typeof value === 'function' ? value.bind(server) : value
    },
  })
}

/** Sources opened by a test file, closed after each test. */
function sourcesClosedAfterEach(resolve: (path: string) => string) {
  const sources: EventSource[] = []
  afterEach(() => sources.splice(0).forEach((source) => source.close()))
  /** A source on `pathOrUrl` (a path on the first server, or any URL), closed after the test. */
  return function open(pathOrUrl: string | URL, init?: EventSourceInit): EventSource {
    const isPath = typeof pathOrUrl === 'string' && pathOrUrl.startsWith('/')
    const source = new EventSource(isPath ? resolve(pathOrUrl) : pathOrUrl, init)
    sources.push(source)
    return source
  }
}

/** A fresh loopback test server for every test, and an `open()` whose sources close after it. */
export function useServerPerTest(routes: Record<string, RouteHandler> = {}): {
  server: TestServer
  open(pathOrUrl: string | URL, init?: EventSourceInit): EventSource
} {
  let live: TestServer | undefined
  const server = current(() => live)
  const open = sourcesClosedAfterEach((path) => server.url(path))
  beforeEach(async () => {
    live = await startServer(routes)
  })
  afterEach(async () => {
    await live?.close()
    live = undefined
  })
  return { server, open }
}

/**
 * `count` servers started once for the whole file, and an `open()` whose sources close after each
 * test (paths resolve against the first server).
 */
export function useSharedServers<S extends ServerLike>(
  count: number,
  start: () => Promise<S>,
): { servers: S[]; open(pathOrUrl: string | URL, init?: EventSourceInit): EventSource } {
  const live: (S | undefined)[] = []
  const servers = Array.from({ length: count }, (_, index) => current(() => live[index]))
  const open = sourcesClosedAfterEach((path) => servers[0].url(path))
  beforeAll(async () => {
    for (let index = 0; index < count; index++) live[index] = await start()
  })
  afterAll(async () => {
    for (const server of live.splice(0)) await server?.close()
  })
  return { servers, open }
}
