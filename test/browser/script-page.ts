/**
 * A Chromium page with our browser script (dist/eventsource.min.js) and a loopback server for its
 * streams: one browser for the test file, a fresh page for every test. `head` is put before the
 * script (to wrap globals before it loads, say).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { startServer, type TestServer } from '../helpers/server'
import { launchChromium, type RunningChromium } from './chromium'

const script = path.resolve(__dirname, '..', '..', 'dist', 'eventsource.min.js')

export interface ScriptPage {
  server: TestServer
  context: BrowserContext
  page: Page
}

/** Sets up the server, Chromium and a page per test; the returned object's fields are current inside tests. */
export function useScriptPage(head = ''): ScriptPage {
  const html = `<!doctype html><html><head><meta charset="utf-8">${head}<script src="/dist/eventsource.min.js"></script></head><body></body></html>`
  const current = {} as ScriptPage
  let chromium: RunningChromium | undefined
  beforeAll(async () => {
    current.server = await startServer({
      '/page.html': (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(html),
      '/dist/eventsource.min.js': (_req, res) =>
        void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(script)),
    })
    chromium = await launchChromium()
    current.context = chromium.context
  }, 60_000)
  afterAll(async () => {
    await chromium?.close()
    await current.server?.close()
  })
  beforeEach(async () => {
    current.page = await current.context.newPage()
    await current.page.goto(current.server.url('/page.html'))
  })
  afterEach(async () => {
    await current.page.evaluate(() => (window as unknown as { source?: { close(): void } }).source?.close())
    await current.context.setOffline(false)
    await current.page.close()
  })
  return current
}
