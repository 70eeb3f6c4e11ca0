/**
 * Extension `networkAware`, in a page, with our class from the browser script: reconnection waits
 * that follow `navigator.onLine`, the `online` event and page visibility (HTML § 9.2.3
 * "reestablish the connection", step 4: "Optionally, wait some more … or wait until the operating
 * system reports that the network is back").
 *
 * Where the driver can take the page offline for real (Chromium, Firefox: see
 * EngineEntry.canGoOffline), it does: every request fails, `navigator.onLine` is false, `offline`
 * and `online` fire. Where it cannot (WebKit over WebDriver), the page plays the network change
 * (`navigator.onLine` overridden, `offline`/`online` dispatched) and the server plays the failure an
 * offline page sees (it drops the connection); those tests say so in their names. A hidden page
 * becoming visible is played in every engine (no driver here can hide a page).
 */
import { settle } from '../../helpers/recorder'
import { startStream, type RouteHandler } from '../../helpers/server'
import { js, NETWORK_AWARE_PAGE_READY } from '../site'
import type { Suite } from './context'

interface LogEntry {
  type: string
  readyState: number
  attempt?: number
  retryDelay?: number
  at: number
}

const errors = (entries: LogEntry[]) => entries.filter((entry) => entry.type === 'error')
const messages = (entries: LogEntry[]) => entries.filter((entry) => entry.type === 'message')

export const networkAwareSuite: Suite = (ctx) => {
  const real = ctx.engine.canGoOffline
  /** How the page goes offline, for the test names. */
  const offlineHow = real
    ? 'offline'
    : 'offline (played: WebDriver cannot take WebKit offline, so navigator.onLine is overridden and offline/online dispatched, and the server drops the requests)'
  /** Whether the page is offline now (what the server plays where the network change is played). */
  let offline = false

  describe('extension: networkAware in a page, ours from the browser script', () => {
    beforeEach(async () => {
      offline = false
      await ctx.load('/network-aware.html', NETWORK_AWARE_PAGE_READY)
    })

    afterEach(async () => {
      await ctx.page.evaluate('window.source && window.source.close()')
      if (offline && real) await ctx.page.setOffline!(false)
      offline = false
    })

    async function setOffline(value: boolean): Promise<void> {
      offline = value
      if (!real) return void (await ctx.page.evaluate(`playNetwork(${js(!value)})`))
      if (!ctx.page.setOffline) throw new Error(`${ctx.engine.label}'s page has no setOffline, though canGoOffline says it can`)
      await ctx.page.setOffline(value)
    }

    /**
     * Serves `handler` at a path of this test; while the page is offline, a request that reaches
     * the server (only where the network change is played) is dropped, as the network would.
     * `dropped()` says how many were.
     */
    function route(name: string, handler: RouteHandler): { url: string; requests: () => number; dropped: () => number } {
      const path = `/net/${ctx.engine.name}/${name}`
      let dropped = 0
      ctx.server.route(path, (req, res, request) => {
        if (!offline) return handler(req, res, request)
        dropped++
        req.socket.destroy()
      })
      return { url: ctx.server.url(path), requests: () => ctx.server.requestsTo(path).length, dropped: () => dropped }
    }

    const stream =
      (body: string): RouteHandler =>
      (_req, res) =>
        void startStream(res).write(body)

    const openSource = (url: string, init: Record<string, unknown> = {}) => ctx.page.evaluate(`openSource(${js(url)}, ${js(init)})`)
    const log = async () => (await ctx.page.evaluate('window.log')) as LogEntry[]
    const listeners = () => ctx.page.evaluate('window.listeners')

    /** Polls the page's log until `condition` holds. */
    async function waitForLog(condition: (entries: LogEntry[]) => boolean, message: string): Promise<LogEntry[]> {
      const deadline = Date.now() + 10000
      for (;;) {
        const entries = await log()
        if (condition(entries)) return entries
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}: ${JSON.stringify(entries)}`)
        await settle(20)
      }
    }

    test(`${offlineHow}: a source whose wait is over makes no attempt until the network is back, then connects at once`, async () => {
      const server = route('offline', stream('data: hello\n\n'))
      await setOffline(true)
      await openSource(server.url, { retryDelay: 100 })
      // The first attempt fails (offline); then the source waits for `online` instead of retrying.
      await waitForLog((entries) => errors(entries).length === 1, 'the first error')
      // Offline for real, no request leaves the page; played, the first attempt's reached the
      // server (more than once where the engine itself retries a dropped request).
      const requestsOffline = server.requests()
      if (real) expect(requestsOffline).toBe(0)
      await settle(800) // several reconnection times
      expect(errors(await log())).toHaveLength(1)
      expect(server.requests()).toBe(requestsOffline)
      await setOffline(false)
      const entries = await waitForLog((entries) => messages(entries).length === 1, 'the message after going online')
      expect(entries.map((entry) => entry.type)).toEqual(['error', 'open', 'message'])
      expect(server.requests() - server.dropped()).toBe(1)
    })

    test(`${offlineHow}: networkAware: false keeps retrying on the plain waits (each attempt fails and the backoff grows)`, async () => {
      const server = route('plain', stream('data: hello\n\n'))
      await setOffline(true)
      await openSource(server.url, { retryDelay: 50, networkAware: false })
      const entries = await waitForLog((entries) => errors(entries).length >= 3, 'three errors')
      expect(
        errors(entries)
          .map((entry) => entry.attempt)
          .slice(0, 3),
      ).toEqual([1, 2, 3])
      expect(server.requests() - server.dropped()).toBe(0)
      expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
    })

    test(`${offlineHow}: a long backoff wait is cut short by the online event`, async () => {
      const server = route('long', stream('data: back\n\n'))
      await setOffline(true)
      await openSource(server.url, { retryDelay: 50, backoffMs: 60000 })
      const [error] = errors(await waitForLog((entries) => errors(entries).length === 1, 'the first error'))
      expect(error.retryDelay).toBe(60000)
      await settle(100) // past the reconnection time
      await setOffline(false)
      await waitForLog((entries) => messages(entries).length === 1, 'the message after going online')
      expect(server.requests() - server.dropped()).toBe(1)
    })

    test(`${offlineHow}: with networkAware: false, online does not cut a backoff wait short`, async () => {
      const server = route('long-plain', stream('data: back\n\n'))
      await setOffline(true)
      await openSource(server.url, { retryDelay: 50, backoffMs: 60000, networkAware: false })
      await waitForLog((entries) => errors(entries).length === 1, 'the first error')
      await setOffline(false)
      await settle(500)
      expect(server.requests() - server.dropped()).toBe(0)
      expect(errors(await log())).toHaveLength(1)
    })

    test('a page becoming visible again (visibilitychange played) cuts a backoff wait short', async () => {
      const server = route('visible', (_req, res, request) => {
        if (request.attempt === 0) res.writeHead(503).end()
        else startStream(res).write('data: back\n\n')
      })
      await openSource(server.url, { retryDelay: 50, backoffMs: 60000, retryAll: true })
      await waitForLog((entries) => errors(entries).length === 1, 'the first error')
      await settle(100) // past the reconnection time
      await ctx.page.evaluate('becomeVisible()')
      await waitForLog((entries) => messages(entries).length === 1, 'the message after becoming visible')
      expect(server.requests()).toBe(2)
    })

    test('never sooner than the reconnection time after the failure, even when online fires at once', async () => {
      const server = route('floor', (_req, res, request) => {
        if (request.attempt === 0) startStream(res).end('retry: 1000\ndata: first\n\n')
        else startStream(res).write('data: second\n\n')
      })
      await openSource(server.url, { backoffMs: 60000 })
      await waitForLog((entries) => errors(entries).length === 1, 'the end of the first response')
      await ctx.page.evaluate(`window.dispatchEvent(new Event('online'))`)
      const entries = await waitForLog((entries) => messages(entries).length === 2, 'the second message')
      const failedAt = errors(entries)[0].at
      const reopenedAt = entries.filter((entry) => entry.type === 'open')[1].at
      // A lower bound only: a timer never fires early (a few ms of slack for clock granularity).
      expect(reopenedAt - failedAt).toBeGreaterThanOrEqual(990)
      expect(server.requests()).toBe(2)
    })

    test('listeners are on the window and the document only while a source waits, and close() removes them', async () => {
      // Answered late, so that the source is seen connecting first.
      const server = route('listeners', (_req, res) => void setTimeout(() => res.writeHead(503).end(), 300))
      await openSource(server.url, { retryDelay: 50, backoffMs: 60000, retryAll: true })
      expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
      await waitForLog((entries) => errors(entries).length === 1, 'the first error')
      expect(await listeners()).toEqual({ online: 1, visibilitychange: 1 })
      await ctx.page.evaluate('source.close()')
      expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
      expect(server.requests()).toBe(1)
    })

    test('listeners are removed when the wait ends and the source connects', async () => {
      const server = route('reconnects', (_req, res, request) => {
        if (request.attempt === 0) startStream(res).end('retry: 50\ndata: one\n\n')
        else startStream(res).write('data: two\n\n')
      })
      await openSource(server.url)
      await waitForLog((entries) => messages(entries).length === 2, 'the second message')
      expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
    })
  })
}
