/**
 * SharedEventSource in a real headless Chromium (see chromium.ts): several pages of one origin in
 * one browser context, and a module worker, each with sources from the ES module build
 * (dist/index.mjs), against a loopback server that counts the connections it gets. Runs against
 * dist/, so `npm run build` must have run (npm test does).
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

/**
 * What a page and a worker both run: `openShared(name, url, init)` makes a source and records
 * what it dispatches in `logs[name]`; `closeShared(name)` closes it; `lockState()` lists the
 * origin's held and pending locks.
 */
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
  function closeShared(name) {
    sources[name].close()
    return sources[name].readyState
  }
  function readyState(name) {
    return sources[name].readyState
  }
  async function lockState() {
    const { held, pending } = await navigator.locks.query()
    return { held: held.map((lock) => lock.name), pending: pending.map((lock) => lock.name) }
  }`

const page = `<!doctype html><html><head><meta charset="utf-8"><title>SharedEventSource</title>
  <script type="module">
    import { SharedEventSource, EventSourceErrorEvent } from '/dist/index.mjs'
    ${harness}
    Object.assign(window, { logs, openShared, closeShared, readyState, lockState, ready: true })
  </script></head><body></body></html>`

/** A module worker: runs the harness's functions on request from its page. */
const moduleWorker = `
  import { SharedEventSource, EventSourceErrorEvent } from '/dist/index.mjs'
  ${harness}
  const calls = { openShared, closeShared, readyState, lockState, log: (name) => logs[name] }
  self.onmessage = async ({ data: { id, call, args } }) => {
    try { postMessage({ id, result: await calls[call](...args) }) }
    catch (error) { postMessage({ id, error: String(error && error.stack || error) }) }
  }`

/** In a page: starts the module worker, and `askWorker(call, ...args)` runs a harness call in it. */
const startWorker = `
  window.worker = new Worker('/shared/worker.js', { type: 'module' })
  window.askWorker = (call, ...args) => new Promise((resolve, reject) => {
    const id = Math.random().toString(36).slice(2)
    const onMessage = ({ data }) => {
      if (data.id !== id) return
      worker.removeEventListener('message', onMessage)
      if (data.error) reject(new Error(data.error)); else resolve(data.result)
    }
    worker.addEventListener('message', onMessage)
    worker.postMessage({ id, call, args })
  })`

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

function stream(route: string, head = 'retry: 3000\n\n'): Stream {
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
const lockState = (at: Page) => at.evaluate('lockState()') as Promise<{ held: string[]; pending: string[] }>

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

/** The lock and channel name of a source on `route` (absolute URL, withCredentials, shareKey). */
const keyOf = (route: string, shareKey = '', withCredentials = false) =>
  `isomorphic-eventsource ${JSON.stringify([server.url(route), withCredentials, shareKey])}`

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
    '/shared/worker.js': text(moduleWorker, 'text/javascript'),
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
  test("four pages share one connection, and each page receives each of 200 events once, in order, as MessageEvents like the leader's", async () => {
    const route = '/shared/four-pages'
    const feed = stream(route)
    const four = await openPages(4)
    for (const at of four) await openShared(at, 'main', route)
    await allOpen(four, 'main')
    feed.send(`${events(1, 199)}event: update\nid: 200\ndata: event 200\n\n`)

    await messageCount(four, 'main', 199)
    await waitUntil(
      () => Promise.all(four.map((at) => logOf(at, 'main'))),
      (logs) => logs.every((log) => log.length === 201),
      'the update event',
    )
    for (const at of four) {
      const log = await logOf(at, 'main')
      expect(log[0]).toEqual({ type: 'open', readyState: 1 })
      expect(log.slice(1).map(({ data, lastEventId }) => ({ data, lastEventId }))).toEqual(expectedMessages(1, 200))
      expect(log.slice(1).map((seen) => seen.type)).toEqual([...Array(199).fill('message'), 'update'])
      expect(log.slice(1).every((seen) => seen.origin === server.origin && seen.isMessageEvent && seen.targetIsSource)).toBe(true)
    }
    expect(server.requestsTo(route)).toHaveLength(1)
  })

  test("closing the leader's page hands over at once (well within the 3 s reconnection time) to a page that resumes with its Last-Event-ID: no page sees a gap or a duplicate", async () => {
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

    await leader.close()
    await waitFor(() => feed.connections.length === 2 && feed.connections[0].ended, {
      timeoutMs: 2000,
      message: 'the takeover: the first connection ended and a second one made within 2 s',
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

  test('close() in a follower closes only it: the others keep receiving, and it keeps no lock request', async () => {
    const route = '/shared/follower-close'
    const feed = stream(route)
    const [leader, follower, other] = await openPages(3)
    for (const at of [leader, follower, other]) await openShared(at, 'main', route)
    await allOpen([leader, follower, other], 'main')
    feed.send(events(1, 5))
    await messageCount([leader, follower, other], 'main', 5)
    expect(await lockState(leader)).toEqual({ held: [keyOf(route)], pending: [keyOf(route), keyOf(route)] })

    expect(await follower.evaluate(`closeShared('main')`)).toBe(2)
    expect(await lockState(leader)).toEqual({ held: [keyOf(route)], pending: [keyOf(route)] })
    feed.send(events(6, 10))
    await messageCount([leader, other], 'main', 10)
    expect(await messagesOf(follower, 'main')).toEqual(expectedMessages(1, 5))
    expect(await messagesOf(other, 'main')).toEqual(expectedMessages(1, 10))
    expect(feed.connections).toHaveLength(1)
    expect(feed.connections[0].ended).toBe(false)
  })

  test('the connection ends when the last source with the key closes (the server sees it), and no lock is left', async () => {
    const route = '/shared/last-close'
    const feed = stream(route)
    const three = await openPages(3)
    for (const at of three) await openShared(at, 'main', route)
    await allOpen(three, 'main')
    // The leader first: a follower takes over with the same Last-Event-ID, then the rest close.
    for (const at of three) await at.evaluate(`closeShared('main')`)
    await waitFor(() => feed.connections.every((connection) => connection.ended), { message: 'every connection to end' })
    expect(await lockState(three[0])).toEqual({ held: [], pending: [] })
    // No page has anything more to say: no source reconnects later.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(feed.connections.every((connection) => connection.ended)).toBe(true)
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

  test('different shareKeys, URLs or withCredentials get separate connections; the same ones share', async () => {
    const [first, second] = await openPages(2)
    const feeds = { a: stream('/shared/keys'), other: stream('/shared/keys-other') }
    for (const at of [first, second]) {
      await openShared(at, 'a', '/shared/keys', { shareKey: 'a' })
      await openShared(at, 'b', '/shared/keys', { shareKey: 'b' })
      await openShared(at, 'credentials', '/shared/keys', { shareKey: 'a', withCredentials: true })
      await openShared(at, 'url', '/shared/keys-other', { shareKey: 'a' })
    }
    for (const name of ['a', 'b', 'credentials', 'url']) await allOpen([first, second], name)
    expect(feeds.a.connections).toHaveLength(3)
    expect(feeds.other.connections).toHaveLength(1)
  })

  test('a 401 closes every source with the key, each with an error event carrying the status, message and headers', async () => {
    const route = '/shared/unauthorized'
    let answer: () => void = () => undefined
    const answered = new Promise<void>((resolve) => (answer = resolve))
    server.route(route, async (_req, res) => {
      await answered
      res.writeHead(401, { 'content-type': 'text/plain', 'x-reason': 'token expired' }).end()
    })
    const four = await openPages(4)
    for (const at of four) await openShared(at, 'main', route, { retryDelay: 20 })
    await waitFor(() => server.requestsTo(route).length === 1)
    answer()

    const logs = await waitUntil(
      () => Promise.all(four.map((at) => logOf(at, 'main'))),
      (all) => all.every((log) => log.length > 0),
      'an error everywhere',
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const at of four) {
      expect(await logOf(at, 'main')).toEqual([
        {
          type: 'error',
          readyState: 2,
          isErrorEvent: true,
          kind: 'http',
          status: 401,
          message: 'HTTP 401 Unauthorized',
          attempt: 1,
          headerXReason: 'token expired',
        },
      ])
      expect(await readyStateOf(at, 'main')).toBe(2)
    }
    expect(logs).toHaveLength(4)
    expect(await lockState(four[0])).toEqual({ held: [], pending: [] })
  })

  test('a source granted the lock first takes in what the previous leader posted: a failure for good posted as the lock is let go closes it without a connection', async () => {
    const route = '/shared/late-failure'
    server.route(route, (_req, res) => void startStream(res).write('data: should not be asked for\n\n'))
    const [previous, ...three] = await openPages(4)
    const key = keyOf(route)
    // The previous leader, played by hand: it holds the lock while the sources queue behind it…
    await previous.evaluate(`new Promise((held) => navigator.locks.request(${js(key)}, () => new Promise((release) => {
      window.releaseLock = release
      held()
    })))`)
    for (const at of three) await openShared(at, 'main', route)
    // …then lets go and, in the same task, posts a failure for good, as a leader's connection does.
    await previous.evaluate(`(() => {
      const channel = new BroadcastChannel(${js(key)})
      releaseLock()
      channel.postMessage({ kind: 'error', readyState: 2, retryDelay: undefined, failure: {
        kind: 'http', status: 401, headers: [['x-reason', 'token expired']], message: 'HTTP 401 Unauthorized', cause: undefined, attempt: 1 } })
      channel.close()
    })()`)
    await waitUntil(
      () => Promise.all(three.map((at) => readyStateOf(at, 'main'))),
      (states) => states.every((s) => s === 2),
      'every source closed',
    )
    for (const at of three) {
      expect(await logOf(at, 'main')).toEqual([
        expect.objectContaining({ type: 'error', readyState: 2, status: 401, headerXReason: 'token expired' }),
      ])
    }
    expect(await lockState(previous)).toEqual({ held: [], pending: [] })
    expect(server.requestsTo(route)).toHaveLength(0)
  })

  test('a module worker participates: as the leader, it feeds the pages', async () => {
    const route = '/shared/worker'
    const feed = stream(route)
    const [withWorker, other] = await openPages(2)
    await withWorker.evaluate(startWorker)
    await withWorker.evaluate(`askWorker('openShared', 'main', ${js(server.url(route))}, {})`)
    await waitUntil(
      () => withWorker.evaluate(`askWorker('readyState', 'main')`),
      (state) => state === 1,
      'the worker open',
    )
    await openShared(withWorker, 'main', route)
    await openShared(other, 'main', route)
    await allOpen([withWorker, other], 'main')
    feed.send(events(1, 20))

    await messageCount([withWorker, other], 'main', 20)
    const workerMessages = await waitUntil(
      async () => ((await withWorker.evaluate(`askWorker('log', 'main')`)) as Seen[]).filter((seen) => seen.type === 'message'),
      (messages) => messages.length === 20,
      "the worker's messages",
    )
    expect(workerMessages.map(({ data, lastEventId }) => ({ data, lastEventId }))).toEqual(expectedMessages(1, 20))
    expect(await messagesOf(other, 'main')).toEqual(expectedMessages(1, 20))
    expect(server.requestsTo(route)).toHaveLength(1)

    // The worker goes away: a page takes over where it left off.
    await withWorker.evaluate('worker.terminate()')
    await waitFor(() => feed.connections.length === 2, { message: 'a page to take over' })
    expect(feed.connections[1].lastEventId).toBe('20')
  })
})
