/**
 * Extension `networkAware` in a real headless Chromium (see chromium.ts): reconnection waits that
 * follow `navigator.onLine`, the `online` event and page visibility (HTML § 9.2.3 "reestablish the
 * connection", step 4: "Optionally, wait some more … or wait until the operating system reports
 * that the network is back"). Our class from the built browser script; the page goes offline with
 * Playwright's `context.setOffline`, which Chromium reports through `navigator.onLine` and
 * `online`/`offline` events and by failing every request.
 */
import { settle, waitFor } from '../helpers/recorder'
import { startStream } from '../helpers/server'
import { useScriptPage } from './script-page'

/**
 * Before our script: a count of the \`online\`/\`visibilitychange\` listeners on the window and the
 * document (wrapping add/removeEventListener), and helpers to open a source and fake visibility.
 */
const head = `<script>
  window.listeners = { online: 0, visibilitychange: 0 }
  for (const target of [window, document]) {
    const add = target.addEventListener, remove = target.removeEventListener
    target.addEventListener = function (type, listener, options) {
      if (type in listeners) listeners[type]++
      return add.call(this, type, listener, options)
    }
    target.removeEventListener = function (type, listener, options) {
      if (type in listeners) listeners[type]--
      return remove.call(this, type, listener, options)
    }
  }
  /**
   * Opens a source and records its events in window.log (type, readyState, attempt, time).
   * Functions cannot be passed in: \`backoffMs\` becomes a constant backoff, \`retryAll\` a shouldRetry that always retries.
   */
  window.openSource = function (url, { backoffMs, retryAll, ...init }) {
    if (backoffMs !== undefined) init.backoff = () => backoffMs
    if (retryAll) init.shouldRetry = () => true
    window.log = []
    window.source = new IsomorphicEventSource.EventSource(url, init)
    for (const type of ['open', 'message', 'error']) {
      source.addEventListener(type, (event) => log.push({ type, readyState: source.readyState, attempt: event.attempt, retryDelay: event.retryDelay, at: Date.now() }))
    }
  }
  /** Pretends the page was hidden and is visible again. */
  window.becomeVisible = function () {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true })
    document.dispatchEvent(new Event('visibilitychange'))
  }
</script>`

const harness = useScriptPage(head)

interface LogEntry {
  type: string
  readyState: number
  attempt?: number
  retryDelay?: number
  at: number
}
const log = (): Promise<LogEntry[]> => harness.page.evaluate(() => (window as unknown as { log: LogEntry[] }).log)
const listeners = (): Promise<{ online: number; visibilitychange: number }> =>
  harness.page.evaluate(() => (window as unknown as { listeners: { online: number; visibilitychange: number } }).listeners)
const openSource = (url: string, init: Record<string, unknown> = {}) =>
  harness.page.evaluate(([url, init]) => (window as unknown as { openSource(u: string, i: object): void }).openSource(url, init), [url, init] as const)
/** Polls the page's log until `condition` holds. */
async function waitForLog(condition: (entries: LogEntry[]) => boolean, message: string): Promise<LogEntry[]> {
  let entries: LogEntry[] = []
  const deadline = Date.now() + 10_000
  while (!condition((entries = await log()))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}: ${JSON.stringify(entries)}`)
    await settle(20)
  }
  return entries
}
const errors = (entries: LogEntry[]) => entries.filter((entry) => entry.type === 'error')

function streamRoute(path: string): void {
  harness.server.route(path, (_req, res) => void startStream(res).write('data: hello\n\n'))
}

describe('extension: networkAware (Chromium)', () => {
  test('offline: a source whose wait is over makes no attempt until the network is back, then connects at once', async () => {
    streamRoute('/offline')
    await harness.context.setOffline(true)
    await openSource(harness.server.url('/offline'), { retryDelay: 100 })
    // The first attempt fails (offline), then the source waits for `online` instead of retrying.
    await waitForLog((entries) => errors(entries).length === 1, 'the first error')
    await settle(800) // several reconnection times
    expect(errors(await log())).toHaveLength(1)
    expect(harness.server.requestsTo('/offline')).toHaveLength(0)
    await harness.context.setOffline(false)
    const entries = await waitForLog((entries) => entries.some((entry) => entry.type === 'message'), 'the message after going online')
    expect(entries.map((entry) => entry.type)).toEqual(['error', 'open', 'message'])
    expect(harness.server.requestsTo('/offline')).toHaveLength(1)
  })

  test('networkAware: false keeps retrying on the plain waits while offline (each attempt fails and the backoff grows)', async () => {
    streamRoute('/plain')
    await harness.context.setOffline(true)
    await openSource(harness.server.url('/plain'), { retryDelay: 50, networkAware: false })
    const entries = await waitForLog((entries) => errors(entries).length >= 3, 'three errors')
    expect(errors(entries).map((entry) => entry.attempt).slice(0, 3)).toEqual([1, 2, 3])
    expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
  })

  test('a long backoff wait is cut short by the online event', async () => {
    streamRoute('/long')
    await harness.context.setOffline(true)
    await openSource(harness.server.url('/long'), { retryDelay: 50, backoffMs: 60_000 })
    const [error] = errors(await waitForLog((entries) => errors(entries).length === 1, 'the first error'))
    expect(error.retryDelay).toBe(60_000)
    await settle(100) // past the reconnection time
    await harness.context.setOffline(false)
    await waitFor(() => harness.server.requestsTo('/long').length === 1, { timeoutMs: 5000, message: 'a request after online' })
  })

  test('with networkAware: false, online does not cut a backoff wait short', async () => {
    streamRoute('/long-plain')
    await harness.context.setOffline(true)
    await openSource(harness.server.url('/long-plain'), { retryDelay: 50, backoffMs: 60_000, networkAware: false })
    await waitForLog((entries) => errors(entries).length === 1, 'the first error')
    await harness.context.setOffline(false)
    await settle(500)
    expect(harness.server.requestsTo('/long-plain')).toHaveLength(0)
  })

  test('a page becoming visible again cuts a backoff wait short', async () => {
    harness.server.route('/visible', (_req, res, request) => {
      if (request.attempt === 0) res.writeHead(503).end()
      else startStream(res).write('data: back\n\n')
    })
    await openSource(harness.server.url('/visible'), { retryDelay: 50, backoffMs: 60_000, retryAll: true })
    await waitForLog((entries) => errors(entries).length === 1, 'the first error')
    await settle(100)
    await harness.page.evaluate(() => (window as unknown as { becomeVisible(): void }).becomeVisible())
    await waitForLog((entries) => entries.some((entry) => entry.type === 'message'), 'the message after becoming visible')
    expect(harness.server.requestsTo('/visible')).toHaveLength(2)
  })

  test('never sooner than the reconnection time after the failure, even when online fires at once', async () => {
    harness.server.route('/floor', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 1000\ndata: first\n\n')
      else startStream(res).write('data: second\n\n')
    })
    await openSource(harness.server.url('/floor'), { backoffMs: 60_000 })
    await waitForLog((entries) => errors(entries).length === 1, 'the end of the first response')
    await harness.page.evaluate(() => window.dispatchEvent(new Event('online')))
    const entries = await waitForLog((entries) => entries.filter((e) => e.type === 'message').length === 2, 'the second message')
    const failedAt = errors(entries)[0].at
    const reopenedAt = entries.filter((entry) => entry.type === 'open')[1].at
    // A lower bound only: a timer never fires early.
    expect(reopenedAt - failedAt).toBeGreaterThanOrEqual(990)
  })

  test('listeners are on the window only while a source waits, and close() removes them', async () => {
    // Answered late, so that the source is seen connecting first.
    harness.server.route('/listeners', (_req, res) => void setTimeout(() => res.writeHead(503).end(), 300))
    await openSource(harness.server.url('/listeners'), { retryDelay: 50, backoffMs: 60_000, retryAll: true })
    expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
    await waitForLog((entries) => errors(entries).length === 1, 'the first error')
    expect(await listeners()).toEqual({ online: 1, visibilitychange: 1 })
    await harness.page.evaluate(() => (window as unknown as { source: { close(): void } }).source.close())
    expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
  })

  test('listeners are removed when the wait ends and the source connects', async () => {
    harness.server.route('/reconnects', (_req, res, request) => {
      if (request.attempt === 0) startStream(res).end('retry: 50\ndata: one\n\n')
      else startStream(res).write('data: two\n\n')
    })
    await openSource(harness.server.url('/reconnects'))
    await waitForLog((entries) => entries.filter((e) => e.type === 'message').length === 2, 'the second message')
    expect(await listeners()).toEqual({ online: 0, visibilitychange: 0 })
  })
})
