/**
 * The library in three real browser engines, one after another: Chromium (Debian's `chromium`,
 * playwright-core), Firefox (Debian's `firefox-esr`, puppeteer-core over WebDriver BiDi) and WebKit
 * (Debian's WebKitGTK MiniBrowser under Xvfb, plain WebDriver). Each engine runs every suite of
 * ./suites/ in one shared page: the core scenarios with the engine's own EventSource and ours from
 * both builds side by side, every extension, `for await` and `onComment` (in a page and a
 * dedicated worker), network-aware waits, the global polyfill, withCredentials across origins,
 * workers, and `SharedEventSource` with same-origin iframes as the tabs. Runs against dist/, so
 * `npm run build` must have run (npm test does).
 *
 * One engine: `npx jest test/browser/engines.test.ts -t Firefox`.
 */
import { engines, type RunningEngine } from './engines'
import { startSite, SCENARIO_PAGE_READY, type TestSite } from './site'
import { suites, type SuiteContext } from './suites'
import { waitInPage } from './suites/context'

jest.setTimeout(30000)

let site: TestSite | undefined

beforeAll(async () => {
  site = await startSite()
})

afterAll(async () => {
  await site?.close()
})

describe.each(engines.map((engine) => [engine.label, engine] as const))('%s', (_label, engine) => {
  let running: RunningEngine | undefined

  const context: SuiteContext = {
    engine,
    get running() {
      if (!running) throw new Error(`${engine.label} is not running (use ctx.running in hooks and tests only)`)
      return running
    },
    get page() {
      return context.running.page
    },
    get site() {
      if (!site) throw new Error('the test site is not started')
      return site
    },
    get server() {
      return context.site.server
    },
    scenarioPage: () => context.load('/page.html', SCENARIO_PAGE_READY),
    async load(path, condition) {
      await context.page.goto(context.server.url(path))
      await waitInPage(context.page, condition)
      return context.page
    },
  }

  beforeAll(async () => {
    running = await engine.launch()
    console.log(`${engine.label}: ${running.version}`)
  }, 90000)

  afterAll(async () => {
    await running?.close()
    running = undefined
  }, 30000)

  afterEach(async () => {
    if (!running) return
    // What the page threw (uncaught errors, unhandled rejections) during the test; must be nothing.
    expect(await running.page.evaluate('window.__pageErrors ? window.__pageErrors.splice(0) : []')).toEqual([])
  })

  for (const suite of suites) suite(context)
})
