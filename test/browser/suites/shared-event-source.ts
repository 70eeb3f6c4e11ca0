/**
 * SharedEventSource in every engine: the "tabs" are same-origin iframes of the engine's one page.
 * Each iframe is a browsing context of its own, with its own SharedEventSource from the ES module
 * build, and shares the origin's Web Locks and BroadcastChannels with the others, as tabs do;
 * removing an iframe discards its document, which releases its lock, as closing a tab does. The
 * loopback server counts the connections it gets and sees them end.
 *
 * Every engine here has Web Locks and BroadcastChannel, shared by its iframes (the first test
 * checks it), so every engine shares the connection; none falls back to an EventSource per source.
 * What only the browser closing a real page shows stays in ../shared-event-source.test.ts
 * (Chromium, several pages of one context).
 */
import type { ServerResponse } from 'node:http'
import { waitFor } from '../../helpers/recorder'
import { startStream } from '../../helpers/server'
import { html, js, serveText } from '../site'
import { waitInPage, type Suite, type SuiteContext } from './context'

/**
 * What a tab and a worker both run: `openShared(name, url, init)` makes a source and records what
 * it dispatches in `logs[name]`; `closeShared(name)` closes it.
 */
const harness = `
  import { SharedEventSource, EventSourceErrorEvent } from '/dist/index.mjs'
  const logs = {}
  const sources = {}
  function describe(source, event) {
    const seen = { type: event.type, readyState: source.readyState }
    if (event.type === 'error') {
      Object.assign(seen, {
        isErrorEvent: event instanceof EventSourceErrorEvent,
        kind: event.kind, status: event.status, message: event.message, attempt: event.attempt,
        headerXReason: event.headers ? event.headers.get('x-reason') : null,
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
  const closeShared = (name) => (sources[name].close(), sources[name].readyState)
  const readyState = (name) => sources[name].readyState`

/** A module worker a tab starts: runs the harness's calls on request. */
const moduleWorker = `${harness}
  const calls = { openShared, closeShared, readyState, log: (name) => logs[name] }
  self.onmessage = async ({ data: { id, call, args } }) => {
    try { postMessage({ id, result: await calls[call](...args) }) }
    catch (error) { postMessage({ id, error: String(error && error.stack || error) }) }
  }`

/**
 * The page of one "tab": the harness, and `startWorker()` / `askWorker(call, ...args)` for a
 * module worker of its own. Its uncaught errors go to the host page's `__pageErrors`, which every
 * test checks.
 */
const framePage = `<!doctype html><html><head><meta charset="utf-8"><title>tab</title>
  <script>
    addEventListener('error', function (event) { parent.__pageErrors.push('in a frame: ' + String(event.message)) })
    addEventListener('unhandledrejection', function (event) { parent.__pageErrors.push('in a frame: unhandled rejection: ' + String(event.reason && event.reason.stack || event.reason)) })
  </script>
  <script type="module">${harness}
    let worker
    const startWorker = () => {
      worker = new Worker('/shared-worker-tab.js', { type: 'module' })
      worker.onerror = (event) => parent.__pageErrors.push('in a worker: ' + event.message)
      return true
    }
    const stopWorker = () => (worker.terminate(), true)
    const askWorker = (call, ...args) => new Promise((resolve, reject) => {
      const id = Math.random().toString(36).slice(2)
      const onMessage = ({ data }) => {
        if (data.id !== id) return
        worker.removeEventListener('message', onMessage)
        if (data.error) reject(new Error(data.error)); else resolve(data.result)
      }
      worker.addEventListener('message', onMessage)
      worker.postMessage({ id, call, args })
    })
    Object.assign(window, { logs, openShared, closeShared, readyState, startWorker, stopWorker, askWorker, ready: true })
  </script></head><body></body></html>`

/**
 * The host page (the engine's one page): `addFrame(name)` adds a tab and resolves once its
 * module ran; `tab(name)` is its window; `removeFrame(name)` closes the tab.
 */
const hostPage = html(`
  <script>
    window.frames_ = {}
    window.addFrame = function (name) {
      return new Promise(function (resolve, reject) {
        var frame = document.createElement('iframe')
        frame.src = '/shared-frame.html'
        frames_[name] = frame
        var deadline = Date.now() + 10000
        frame.onload = function poll() {
          if (frame.contentWindow && frame.contentWindow.ready) resolve(true)
          else if (Date.now() > deadline) reject(new Error('the frame ' + name + ' did not get ready'))
          else setTimeout(poll, 10)
        }
        document.body.appendChild(frame)
      })
    }
    window.tab = function (name) { return frames_[name].contentWindow }
    window.removeFrame = function (name) { frames_[name].remove(); delete frames_[name]; return true }
    window.removeAllFrames = function () { Object.keys(frames_).forEach(removeFrame); return true }
    /** The origin's held and pending locks, by name. */
    window.lockState = async function () {
      var state = await navigator.locks.query()
      return { held: state.held.map(function (lock) { return lock.name }), pending: state.pending.map(function (lock) { return lock.name }) }
    }
  </script>`)

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
function stream(ctx: SuiteContext, route: string, head = 'retry: 60000\n\n'): Stream {
  const connections: Stream['connections'] = []
  ctx.server.route(route, (req, res) => {
    const connection = { res, lastEventId: req.headers['last-event-id'] as string | undefined, ended: false }
    res.on('close', () => (connection.ended = true))
    connections.push(connection)
    startStream(res).write(head)
  })
  return { connections, send: (text) => void connections[connections.length - 1].res.write(text) }
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `id: ${from + i}\ndata: event ${from + i}\n\n`).join('')

const expectedMessages = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ data: `event ${from + i}`, lastEventId: String(from + i) }))

/** The lock and channel name of a source on `url` (absolute URL, withCredentials, shareKey). */
const keyOf = (url: string, shareKey = '', withCredentials = false) =>
  `isomorphic-eventsource ${JSON.stringify([url, withCredentials, shareKey])}`

export const sharedEventSourceSuite: Suite = (ctx) => {
  describe('SharedEventSource, the tabs played by same-origin iframes', () => {
    /** A route of this engine's own, so that engines never share a stream. */
    const routeOf = (name: string) => `/shared/${ctx.engine.name}/${name}`
    const evaluate = (expression: string) => ctx.page.evaluate(expression)

    const addTabs = async (...names: string[]) => {
      for (const name of names) await evaluate(`addFrame(${js(name)})`)
    }
    const openShared = (tab: string, route: string, init: object = {}) =>
      evaluate(`tab(${js(tab)}).openShared('main', ${js(ctx.server.url(route))}, ${js(init)})`) as Promise<number>
    const logOf = (tab: string, name = 'main') => evaluate(`tab(${js(tab)}).logs[${js(name)}]`) as Promise<Seen[]>
    const messagesOf = async (tab: string) =>
      (await logOf(tab))
        .filter((seen) => seen.type !== 'open' && seen.type !== 'error')
        .map(({ data, lastEventId }) => ({ data, lastEventId }))
    const readyStates = (tabs: string[], name = 'main') =>
      evaluate(`${js(tabs)}.map((t) => tab(t).readyState(${js(name)}))`) as Promise<number[]>
    const lockState = () => evaluate('lockState()') as Promise<{ held: string[]; pending: string[] }>

    /** Waits in the page until every one of `tabs` has `main` open. */
    const allOpen = (tabs: string[], name = 'main') =>
      waitInPage(ctx.page, `${js(tabs)}.every((t) => tab(t).readyState(${js(name)}) === 1)`, 5000)
    /** Waits until every one of `tabs` has logged at least `count` message events. */
    const messageCount = (tabs: string[], count: number) =>
      waitInPage(
        ctx.page,
        `${js(tabs)}.every((t) => tab(t).logs.main.filter((seen) => seen.type !== 'open' && seen.type !== 'error').length >= ${count})`,
        5000,
      )

    beforeAll(async () => {
      ctx.server.route('/shared-host.html', serveText(hostPage, 'text/html; charset=utf-8'))
      ctx.server.route('/shared-frame.html', serveText(framePage, 'text/html; charset=utf-8'))
      ctx.server.route('/shared-worker-tab.js', serveText(moduleWorker, 'text/javascript'))
    })

    beforeEach(async () => {
      await ctx.load('/shared-host.html', 'window.addFrame !== undefined')
    })

    afterEach(async () => {
      await evaluate('removeAllFrames()')
    })

    test('iframes of one origin share Web Locks and BroadcastChannel with each other, as tabs do', async () => {
      await addTabs('a', 'b')
      const lock = js(`${ctx.engine.name} lock`)
      const shared = await evaluate(`(async () => {
        const a = tab('a'), b = tab('b')
        const apis = [a, b].map((w) => ({ locks: typeof w.navigator.locks?.request, channel: typeof w.BroadcastChannel }))
        let release
        await new Promise((held) => a.navigator.locks.request(${lock}, () => new Promise((r) => { release = r; held() })))
        const heldByA = await b.navigator.locks.request(${lock}, { ifAvailable: true }, (granted) => granted === null)
        release()
        const received = new Promise((resolve) => { const c = new b.BroadcastChannel('shared-check'); c.onmessage = (e) => { c.close(); resolve(e.data) } })
        const sender = new a.BroadcastChannel('shared-check')
        sender.postMessage('from a')
        sender.close()
        return { apis, heldByA, received: await received }
      })()`)
      expect(shared).toEqual({
        apis: [
          { locks: 'function', channel: 'function' },
          { locks: 'function', channel: 'function' },
        ],
        heldByA: true,
        received: 'from a',
      })
    })

    test("four tabs share one connection, and each receives each of 200 events once, in order, as MessageEvents like the leader's", async () => {
      const route = routeOf('four-tabs')
      const feed = stream(ctx, route)
      const four = ['t1', 't2', 't3', 't4']
      await addTabs(...four)
      for (const tab of four) await openShared(tab, route)
      await allOpen(four)
      feed.send(`${events(1, 199)}event: update\nid: 200\ndata: event 200\n\n`)

      await messageCount(four, 200)
      for (const tab of four) {
        const log = await logOf(tab)
        expect(log[0]).toEqual({ type: 'open', readyState: 1 })
        expect(log.slice(1).map(({ data, lastEventId }) => ({ data, lastEventId }))).toEqual(expectedMessages(1, 200))
        expect(log.slice(1).map((seen) => seen.type)).toEqual([...Array(199).fill('message'), 'update'])
        expect(log.slice(1).every((seen) => seen.origin === ctx.server.origin && seen.isMessageEvent && seen.targetIsSource)).toBe(true)
      }
      expect(ctx.server.requestsTo(route)).toHaveLength(1)
    })

    test("removing the leader's tab hands over to a tab that resumes with its Last-Event-ID, before any reconnection: no tab sees a gap or a duplicate", async () => {
      const route = routeOf('handover')
      const feed = stream(ctx, route)
      const followers = ['f1', 'f2', 'f3']
      await addTabs('leader', ...followers)
      // The first source to ask for the lock gets it: the leader's tab.
      await openShared('leader', route)
      await allOpen(['leader'])
      for (const tab of followers) await openShared(tab, route)
      await allOpen(followers)
      feed.send(events(1, 100))
      await messageCount(['leader', ...followers], 100)

      await evaluate(`removeFrame('leader')`)
      // The stream said `retry: 60000`: only a takeover, not a reconnection, can be this quick.
      await waitFor(() => feed.connections.length === 2 && feed.connections[0].ended, {
        timeoutMs: 10000,
        message: 'the takeover: the first connection ended and a second one made',
      })
      expect(feed.connections[1].lastEventId).toBe('100')
      feed.send(events(101, 200))
      await messageCount(followers, 200)

      for (const tab of followers) {
        expect(await messagesOf(tab)).toEqual(expectedMessages(1, 200))
        // The handover is not a new opening: one open event, no error.
        expect((await logOf(tab)).filter((seen) => seen.type !== 'message').map((seen) => seen.type)).toEqual(['open'])
      }
      expect(ctx.server.requestsTo(route)).toHaveLength(2)
    })

    test("close() in a follower's tab closes only it: the others keep receiving, and it keeps no lock request", async () => {
      const route = routeOf('follower-close')
      const key = keyOf(ctx.server.url(route))
      const feed = stream(ctx, route)
      const three = ['leader', 'follower', 'other']
      await addTabs(...three)
      for (const tab of three) await openShared(tab, route)
      await allOpen(three)
      feed.send(events(1, 5))
      await messageCount(three, 5)
      expect(await lockState()).toEqual({ held: [key], pending: [key, key] })

      expect(await evaluate(`tab('follower').closeShared('main')`)).toBe(2)
      expect(await lockState()).toEqual({ held: [key], pending: [key] })
      feed.send(events(6, 10))
      await messageCount(['leader', 'other'], 10)
      expect(await messagesOf('follower')).toEqual(expectedMessages(1, 5))
      expect(await messagesOf('other')).toEqual(expectedMessages(1, 10))
      expect(feed.connections).toHaveLength(1)
      expect(feed.connections[0].ended).toBe(false)
    })

    test('the connection ends when the last source with the key closes (the server sees it), and no lock is left', async () => {
      const route = routeOf('last-close')
      const feed = stream(ctx, route)
      const three = ['t1', 't2', 't3']
      await addTabs(...three)
      for (const tab of three) await openShared(tab, route)
      await allOpen(three)
      // The leader first, then each tab that took over, once its connection is streaming (which
      // checks each takeover's Last-Event-ID too). A fetch aborted between its response head and
      // its first read was seen to keep Chromium's socket open about 5 s more: Chromium's doing.
      for (const [index, tab] of three.entries()) {
        feed.send(events(index + 1, index + 1))
        await messageCount(three.slice(index), index + 1)
        await evaluate(`tab(${js(tab)}).closeShared('main')`)
        if (index < three.length - 1) {
          await waitFor(() => feed.connections.length === index + 2, { message: `tab ${index + 2} to take over` })
          expect(feed.connections[index + 1].lastEventId).toBe(String(index + 1))
        }
      }
      await waitFor(() => feed.connections.every((connection) => connection.ended), { message: 'every connection to end' })
      expect(await lockState()).toEqual({ held: [], pending: [] })
      expect(await readyStates(three)).toEqual([2, 2, 2])
    })

    test('removing every tab ends the connection: the server sees it, and no lock is left', async () => {
      const route = routeOf('tabs-removed')
      const feed = stream(ctx, route)
      const three = ['t1', 't2', 't3']
      await addTabs(...three)
      for (const tab of three) await openShared(tab, route)
      await allOpen(three)
      expect(feed.connections).toHaveLength(1)
      await evaluate('removeAllFrames()')
      await waitFor(() => feed.connections.every((connection) => connection.ended), { message: 'every connection to end' })
      await waitInPage(ctx.page, `lockState().then((state) => state.held.length === 0 && state.pending.length === 0)`, 5000)
    })

    test('different shareKeys, URLs or withCredentials get separate connections; the same ones share', async () => {
      const route = routeOf('keys')
      const otherRoute = routeOf('keys-other')
      const feeds = { keys: stream(ctx, route), other: stream(ctx, otherRoute) }
      await addTabs('first', 'second')
      for (const tab of ['first', 'second']) {
        for (const [name, at, init] of [
          ['a', route, { shareKey: 'a' }],
          ['b', route, { shareKey: 'b' }],
          ['credentials', route, { shareKey: 'a', withCredentials: true }],
          ['url', otherRoute, { shareKey: 'a' }],
        ] as const) {
          await evaluate(`tab(${js(tab)}).openShared(${js(name)}, ${js(ctx.server.url(at))}, ${js(init)})`)
        }
      }
      for (const name of ['a', 'b', 'credentials', 'url']) await allOpen(['first', 'second'], name)
      expect(feeds.keys.connections).toHaveLength(3)
      expect(feeds.other.connections).toHaveLength(1)
    })

    test('a 401 closes every source with the key, each with an error event carrying the status, message and headers, and no lock is left', async () => {
      const route = routeOf('unauthorized')
      let answer: () => void = () => undefined
      const answered = new Promise<void>((resolve) => (answer = resolve))
      ctx.server.route(route, async (_req, res) => {
        await answered
        res.writeHead(401, { 'content-type': 'text/plain', 'x-reason': 'token expired' }).end()
      })
      const four = ['t1', 't2', 't3', 't4']
      await addTabs(...four)
      for (const tab of four) await openShared(tab, route, { retryDelay: 20 })
      await waitFor(() => ctx.server.requestsTo(route).length === 1)
      answer()

      await waitInPage(ctx.page, `${js(four)}.every((t) => tab(t).readyState('main') === 2)`, 5000)
      for (const tab of four) {
        expect(await logOf(tab)).toEqual([
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
      }
      expect(await lockState()).toEqual({ held: [], pending: [] })
      expect(ctx.server.requestsTo(route)).toHaveLength(1)
    })

    test('a source granted the lock first takes in everything the previous leader posted before letting go: its last events, then a failure for good that closes it without a connection', async () => {
      const route = routeOf('late-failure')
      ctx.server.route(route, (_req, res) => void startStream(res).write('data: should not be asked for\n\n'))
      const key = js(keyOf(ctx.server.url(route)))
      const three = ['t1', 't2', 't3']
      await addTabs(...three)
      // The previous leader, played by the host page: it holds the lock while the tabs queue behind it…
      await evaluate(`new Promise((held) => navigator.locks.request(${key}, () => new Promise((release) => {
        window.releaseLock = release
        held()
      })))`)
      for (const tab of three) await openShared(tab, route)
      // …then, in one task, posts its last events and a failure for good and lets go, as a leader's
      // connection does. (In these three engines the messages were seen to arrive before the lock
      // is granted even without the probe a new leader waits for; the probe guards the order
      // where an engine grants first.)
      await evaluate(`(() => {
        const channel = new BroadcastChannel(${key})
        const data = 'x'.repeat(20000)
        for (let id = 1; id <= 300; id++) channel.postMessage({ kind: 'message', type: 'message', data, lastEventId: String(id), origin: location.origin })
        channel.postMessage({ kind: 'error', readyState: 2, retryDelay: undefined, failure: {
          kind: 'http', status: 401, headers: [['x-reason', 'token expired']], message: 'HTTP 401 Unauthorized', cause: undefined, attempt: 1 } })
        releaseLock()
        channel.close()
      })()`)
      await waitInPage(ctx.page, `${js(three)}.every((t) => tab(t).readyState('main') === 2)`, 5000)
      for (const tab of three) {
        // Every event the previous leader posted, in order, then its failure; never a connection.
        const log = await logOf(tab)
        expect(log.filter((seen) => seen.type === 'message').map((seen) => seen.lastEventId)).toEqual(
          Array.from({ length: 300 }, (_, i) => String(i + 1)),
        )
        expect(log.filter((seen) => seen.type !== 'message')).toEqual([
          { type: 'open', readyState: 1 },
          expect.objectContaining({ type: 'error', readyState: 2, status: 401, headerXReason: 'token expired' }),
        ])
      }
      expect(await lockState()).toEqual({ held: [], pending: [] })
      expect(ctx.server.requestsTo(route)).toHaveLength(0)
    })

    test('a module worker in a tab takes part: as the leader it feeds the tabs, and when it is terminated a tab takes over with its Last-Event-ID', async () => {
      const route = routeOf('worker')
      const url = js(ctx.server.url(route))
      const feed = stream(ctx, route)
      await addTabs('withWorker', 'other')
      await evaluate(`tab('withWorker').startWorker()`)
      await evaluate(`tab('withWorker').askWorker('openShared', 'main', ${url}, {})`)
      await waitInPage(ctx.page, `tab('withWorker').askWorker('readyState', 'main').then((state) => state === 1)`, 5000)
      await openShared('withWorker', route)
      await openShared('other', route)
      await allOpen(['withWorker', 'other'])
      feed.send(events(1, 20))

      await messageCount(['withWorker', 'other'], 20)
      await waitInPage(ctx.page, `tab('withWorker').askWorker('log', 'main').then((log) => log.length === 21)`, 5000)
      const workerLog = (await evaluate(`tab('withWorker').askWorker('log', 'main')`)) as Seen[]
      expect(workerLog.slice(1).map(({ data, lastEventId }) => ({ data, lastEventId }))).toEqual(expectedMessages(1, 20))
      expect(await messagesOf('other')).toEqual(expectedMessages(1, 20))
      expect(ctx.server.requestsTo(route)).toHaveLength(1)

      // The worker goes away: a tab takes over where it left off.
      await evaluate(`tab('withWorker').stopWorker()`)
      await waitFor(() => feed.connections.length === 2, { timeoutMs: 10000, message: 'a tab to take over' })
      expect(feed.connections[1].lastEventId).toBe('20')
      feed.send(events(21, 25))
      await messageCount(['withWorker', 'other'], 25)
      for (const tab of ['withWorker', 'other']) expect(await messagesOf(tab)).toEqual(expectedMessages(1, 25))
    })
  })
}
