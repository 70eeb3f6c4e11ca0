/**
 * What only Chromium is asked here (the suites that run in every engine, Chromium included, are in
 * ./engines.test.ts and ./suites/): how its own EventSource and ours meet `window.stop()` during a
 * connection attempt, and an esbuild browser bundle of the package in a page. Chromium is Debian's
 * `chromium`, driven by playwright-core (see chromium.ts). Runs against dist/, so `npm run build`
 * must have run (npm test does).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { startStream } from '../helpers/server'
import { launchChromium, type RunningChromium } from './chromium'
import { held, html, js, SCENARIO_PAGE_READY, serveFile, serveText, startSite, type TestSite } from './site'

const root = path.resolve(__dirname, '..', '..')

let site: TestSite
let chromium: RunningChromium
let context: BrowserContext

beforeAll(async () => {
  site = await startSite()
  chromium = await launchChromium()
  context = chromium.context
}, 60000)

afterAll(async () => {
  await chromium?.close()
  await site?.close()
})

let pageErrors: string[] = []

afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

async function openPage(url: string): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`))
  await page.goto(url)
  return page
}

async function scenarioPage(): Promise<Page> {
  const page = await openPage(site.server.url('/page.html'))
  await page.waitForFunction(SCENARIO_PAGE_READY, undefined, { timeout: 10000 })
  return page
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

describe('window.stop() while connecting', () => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPage()
  })
  afterAll(async () => {
    await page?.close()
  })

  /** Opens a source on a response that takes 300 ms, calls window.stop() at 50 ms, looks at 600 ms. */
  function stopWhileConnecting(impl: string): Promise<unknown> {
    const base = `/window-stop/${impl}`
    site.server.route(base, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      if (!res.destroyed) startStream(res).write('data: too late\n\n')
    })
    return page.evaluate(`new Promise(function (resolve) {
      var source = new (impl(${js(impl)}))(${js(base)})
      var log = []
      ;['open', 'message', 'error'].forEach(function (type) {
        source.addEventListener(type, function (event) {
          log.push({ type: type, readyState: source.readyState, kind: event.kind, cause: event.cause && event.cause.message })
        })
      })
      setTimeout(function () { window.stop() }, 50)
      setTimeout(function () { var state = source.readyState; source.close(); resolve({ log: log, readyState: state }) }, 600)
    })`)
  }

  test("Chromium's own EventSource fails the connection: an error, CLOSED, nothing after it", async () => {
    expect(await stopWhileConnecting('native')).toEqual({ log: [{ type: 'error', readyState: 2 }], readyState: 2 })
  })

  test.each([
    ['iife', 'ours from the browser script'],
    ['esm', 'ours from the ES module build'],
  ])(
    '%s (%s) reestablishes the connection instead, as after a network error (§ 9.2.2 processResponse: "if res is an aborted network error, then fail the connection"; a script\'s fetch sees only "TypeError: Failed to fetch", the same as for a dropped connection)',
    async (impl) => {
      expect(await stopWhileConnecting(impl)).toEqual({
        log: [{ type: 'error', readyState: 0, kind: 'network', cause: 'Failed to fetch' }],
        readyState: 0,
      })
    },
  )
})

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

describe('a bundler build for the browser (esbuild, code splitting)', () => {
  let work: string
  let chunks: string[]

  beforeAll(async () => {
    // An app whose node_modules/isomorphic-eventsource is this package, resolved by name through its
    // exports map (the package tests do the same with the packed tarball).
    work = mkdtempSync(path.join(tmpdir(), 'isomorphic-eventsource-browser-bundle-'))
    mkdirSync(path.join(work, 'node_modules'))
    symlinkSync(root, path.join(work, 'node_modules', 'isomorphic-eventsource'), 'junction')
    const esbuild = await import('esbuild')
    const result = await esbuild.build({
      stdin: {
        contents: `import { EventSource } from 'isomorphic-eventsource'
          const source = new EventSource('/bundle/stream')
          source.onmessage = (event) => {
            source.close()
            window.result = { data: event.data, notNative: EventSource !== window.EventSource }
          }`,
        resolveDir: work,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      splitting: true,
      minify: true,
      outdir: path.join(work, 'out'),
      logLevel: 'silent',
    })
    expect(result.errors).toEqual([])
    chunks = readdirSync(path.join(work, 'out'))
    for (const chunk of chunks) site.server.route(`/bundle/${chunk}`, serveFile(path.join(work, 'out', chunk), 'text/javascript'))
    site.server.route(
      '/bundle/page.html',
      serveText(html('<script type="module" src="/bundle/stdin.js"></script>'), 'text/html; charset=utf-8'),
    )
    site.server.route('/bundle/stream', held('data: bundled\n\n'))
  })
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  test('streams in a page, from the browser build: no chunk holds the cross-fetch fallback', async () => {
    const page = await openPage(site.server.url('/bundle/page.html'))
    try {
      await page.waitForFunction('window.result !== undefined', undefined, { timeout: 10000 })
      expect(await page.evaluate('window.result')).toEqual({ data: 'bundled', notNative: true })
    } finally {
      await page.close()
    }
    const fallbackChunks = chunks.filter((chunk) => /XMLHttpRequest|cross-fetch/.test(readFileSync(path.join(work, 'out', chunk), 'utf8')))
    expect(fallbackChunks).toEqual([])
    expect(chunks).toEqual(['stdin.js'])
    expect(site.server.requestsTo('/bundle/stdin.js')).toHaveLength(1)
  })
})
