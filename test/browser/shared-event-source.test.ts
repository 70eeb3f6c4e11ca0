/**
 * SharedEventSource across real pages (tabs) of one browser context in headless Chromium (see
 * chromium.ts), with sources from the ES module build (dist/index.mjs), against a loopback server
 * that counts the connections it gets: what only the browser closing a page shows. Everything
 * else (sharing, takeover, close(), keys, failures, a module worker) runs in Chromium, Firefox and
 * WebKit in suites/shared-event-source.ts, with iframes as the tabs. Runs against dist/, so
 * `npm run build` must have run (npm test does).
 */
import { existsSync, readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { waitFor } from '../helpers/recorder'
import { startServer, startStream, type RouteHandler, type TestServer } from '../helpers/server'
import { launchChromium, type RunningChromium } from './chromium'

const dist = path.resolve(__dirname, '..', '..', 'dist')

let server: TestServer
let chromium: RunningChromium
let context: BrowserContext
let pageErrors: string[] = []
/** Pages a test opened, closed after it. */
let pages: Page[] = []

/** What a page runs: `openShared(name, url, init)` makes a source and records what it dispatches in `logs[name]`. */
const harness = `
  const logs = {}
  const sources = {}
  function describe(source, event) {
    const seen = { type: event.type, readyState: source.readyState }
    if (event.type === 'error') {
      Object.assign(seen, {
        isErrorEvent: event instanceof EventSourceErrorEvent,
        kind: event.kind, status: event.status, message: event.message, attempt: event.attempt,
        retryDelay: event.retryDelay, headerXReason: event.headers ? event.headers.get('x-reason') : null,
      })
    } else if (event.type !== 'open') {
      Object.assign(seen, {
        data: event.data, lastEventId: event.lastEventId, origin: event.origin,
        isMessageEvent: event instanceof MessageEvent, targetIsSource: event.target === source,
      })
    }
    return seen
  }
  function openShared(name, url, init) {
    const source = new SharedEventSource(url, init)
    const log = (logs[name] = [])
    for (const type of ['open', 'message', 'update', 'error']) source.addEventListener(type, (event) => log.push(describe(source, event)))
    sources[name] = source
    return source.readyState
  }
  function readyState(name) {
    return sources[name].readyState
  }`

const page = `<!doctype html><html><head><meta charset="utf-8"><title>SharedEventSource</title>
  <script type="module">
    import { SharedEventSource, EventSourceErrorEvent } from '/dist/index.mjs'
    ${harness}
    Object.assign(window, { logs, openShared, readyState, ready: true })
  </script></head><body></body></html>`

const js = (value: unknown) => JSON.stringify(value)

// ---------------------------------------------------------------------------------------------

interface Seen {
  type: string
  readyState: number
  data?: string
  lastEventId?: string
  origin?: string
  [key: string]: unknown
}

/** A stream route whose connections the test writes to; it remembers each and whether it ended. */
interface Stream {
  connections: { res: ServerResponse; lastEventId: string | undefined; ended: boolean }[]
  /** Writes to the newest connection. */
  send(text: string): void
}

/**
 * A long `retry:` by default: a source that lost its connection would wait a minute, so every
 * handover the tests see is a takeover, never a reconnection.
 */
function stream(route: string, head = 'retry: 60000\n\n'): Stream {
  const connections: Stream['connections'] = []
  server.route(route, (req, res) => {
    const connection = { res, lastEventId: req.headers['last-event-id'] as string | undefined, ended: false }
    res.on('close', () => (connection.ended = true))
    connections.push(connection)
    startStream(res).write(head)
  })
  return {
    connections,
    send: (text) => void connections[connections.length - 1].res.write(text),
  }
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `id: ${from + i}\ndata: event ${from + i}\n\n`).join('')

const expectedMessages = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ data: `event ${from + i}`, lastEventId: String(from + i) }))

async function openPage(): Promise<Page> {
  const opened = await context.newPage()
  opened.on('pageerror', (error) => pageErrors.push(error.message))
  pages.push(opened)
  await opened.goto(server.url('/shared/page.html'))
  await opened.waitForFunction('window.ready === true', undefined, { timeout: 10000 })
  return opened
}

const openPages = async (count: number) => {
  const opened: Page[] = []
  for (let i = 0; i < count; i++) opened.push(await openPage())
  return opened
}

/** Opens a source named `name` in `at`, on `route`; resolves with its readyState. */
const openShared = (at: Page, name: string, route: string, init: object = {}) =>
  at.evaluate(`openShared(${js(name)}, ${js(server.url(route))}, ${js(init)})`) as Promise<number>

const logOf = (at: Page, name: string) => at.evaluate(`logs[${js(name)}]`) as Promise<Seen[]>
const messagesOf = async (at: Page, name: string) =>
  (await logOf(at, name)).filter((seen) => seen.type === 'message').map(({ data, lastEventId }) => ({ data, lastEventId }))
const readyStateOf = (at: Page, name: string) => at.evaluate(`readyState(${js(name)})`) as Promise<number>

/** Polls `read` in the browser until `accept` holds. */
async function waitUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, message: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (accept(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message} (last: ${JSON.stringify(value)})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const allOpen = (targets: Page[], name: string) =>
  waitUntil(
    () => Promise.all(targets.map((at) => readyStateOf(at, name))),
    (states) => states.every((s) => s === 1),
    `${name} open everywhere`,
  )

const messageCount = (targets: Page[], name: string, count: number) =>
  waitUntil(
    () => Promise.all(targets.map(async (at) => (await messagesOf(at, name)).length)),
    (counts) => counts.every((n) => n >= count),
    `${count} messages for ${name} everywhere`,
  )

beforeAll(async () => {
  for (const file of ['index.mjs']) {
    if (!existsSync(path.join(dist, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first (npm test does)`)
  }
  const text =
    (body: string, type: string): RouteHandler =>
    (_req, res) =>
      void res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
  server = await startServer({
    '/shared/page.html': text(page, 'text/html; charset=utf-8'),
    '/dist/index.mjs': (_req, res) =>
      void res
        .writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
        .end(readFileSync(path.join(dist, 'index.mjs'))),
  })
  chromium = await launchChromium()
  context = chromium.context
}, 60000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
})

afterEach(async () => {
  for (const opened of pages.splice(0)) await opened.close()
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

// ---------------------------------------------------------------------------------------------

describe('SharedEventSource in headless Chromium', () => {
  test("closing the leader's page hands over to a page that resumes with its Last-Event-ID, before any reconnection: no page sees a gap or a duplicate", async () => {
    const route = '/shared/handover'
    const feed = stream(route)
    const [leader, ...followers] = await openPages(4)
    // The first source to ask for the lock gets it: the leader's page.
    await openShared(leader, 'main', route)
    await allOpen([leader], 'main')
    for (const at of followers) await openShared(at, 'main', route)
    await allOpen(followers, 'main')
    feed.send(events(1, 100))
    await messageCount([leader, ...followers], 'main', 100)
    expect(feed.connections).toHaveLength(1)

    await leader.close()
    // The stream said `retry: 60000`: only a takeover, not a reconnection, can be this quick.
    await waitFor(() => feed.connections.length === 2 && feed.connections[0].ended, {
      timeoutMs: 10000,
      message: 'the takeover: the first connection ended and a second one made',
    })
    expect(feed.connections[1].lastEventId).toBe('100')
    feed.send(events(101, 200))
    await messageCount(followers, 'main', 200)

    for (const at of followers) {
      expect(await messagesOf(at, 'main')).toEqual(expectedMessages(1, 200))
      // The handover is not a new opening: one open event, no error.
      expect((await logOf(at, 'main')).filter((seen) => seen.type !== 'message').map((seen) => seen.type)).toEqual(['open'])
    }
    expect(server.requestsTo(route)).toHaveLength(2)
  })

  test('closing every page ends the connection: the server sees it', async () => {
    const route = '/shared/pages-closed'
    const feed = stream(route)
    const three = await openPages(3)
    for (const at of three) await openShared(at, 'main', route)
    await allOpen(three, 'main')
    for (const at of three) await at.close()
    pages = []
    await waitFor(() => feed.connections.length > 0 && feed.connections.every((connection) => connection.ended), {
      message: 'every connection to end',
    })
  })
})
