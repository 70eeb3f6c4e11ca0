/**
 * The library in a real headless Chromium (Debian's `chromium`, driven by playwright-core; see
 * chromium.ts): our EventSource from the built browser script (dist/eventsource.min.js) and from
 * the ES module build (dist/index.mjs, as a module script), side by side with Chromium's own
 * EventSource on the core scenarios; the extensions; the global polyfill; withCredentials across
 * sites; dedicated, module and shared workers; an esbuild browser bundle of the package. Where
 * Chromium's class and ours disagree, the test of ours names the spec step that allows it (or the
 * platform limit that forces it). Runs against dist/, so `npm run build` must have run (npm test does).
 *
 * One loopback server serves the pages, the built files and the streams. Pages load from
 * http://127.0.0.1:PORT; the cross-origin tests reach the same server as http://localhost:PORT,
 * which is another origin (and another site) to the browser.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { waitFor } from '../helpers/recorder'
import { perAttempt, startServer, startStream, type RecordedRequest, type RouteHandler, type TestServer } from '../helpers/server'
import { launchChromium, type RunningChromium } from './chromium'
import { comparable, coreScenarios, type ScenarioName } from './core-routes'

const root = path.resolve(__dirname, '..', '..')
const dist = path.join(root, 'dist')

let server: TestServer
let chromium: RunningChromium
let context: BrowserContext
let localhostOrigin: string

// ---------------------------------------------------------------------------------------------
// Pages and files

function serveFile(file: string, contentType: string): RouteHandler {
  return (_req, res) => {
    // Read on every request, so a rebuilt dist/ is what the page gets.
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(readFileSync(file))
  }
}

function serveText(text: string, contentType: string): RouteHandler {
  return (_req, res) => void res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text)
}

const html = (head: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>isomorphic-eventsource in Chromium</title>${head}</head><body></body></html>`

/** The page of the core and extension scenarios: Chromium's own class, ours from both builds. */
const scenarioPage = html(`
  <script>window.NativeEventSource = window.EventSource</script>
  <script src="/fixtures/core-scenarios.js"></script>
  <script src="/fixtures/extension-scenarios.js"></script>
  <script src="/dist/eventsource.min.js"></script>
  <script>
    window.impl = function (name) {
      return name === 'native' ? NativeEventSource : name === 'iife' ? IsomorphicEventSource.EventSource : esm.EventSource
    }
    window.api = function (name) { return name === 'iife' ? IsomorphicEventSource : esm }
    /** Sends a request to a worker and resolves with its answer. */
    window.askWorker = function (worker, request) {
      return new Promise(function (resolve, reject) {
        var id = Math.random().toString(36).slice(2)
        function onMessage(event) {
          if (event.data.id !== id) return
          worker.removeEventListener('message', onMessage)
          if (event.data.error) reject(new Error(event.data.error)); else resolve(event.data.result)
        }
        worker.addEventListener('message', onMessage)
        worker.addEventListener('error', function (event) { reject(new Error('worker error: ' + event.message)) })
        request.id = id
        worker.postMessage(request)
      })
    }
  </script>
  <script type="module">import * as esm from '/dist/index.mjs'; window.esm = esm</script>`)

/** A dedicated worker (classic) with our browser script, optionally without its own EventSource. */
const classicWorker = `
  self.NativeEventSource = self.EventSource
  if (new URL(self.location.href).searchParams.get('delete') === '1') delete self.EventSource
  importScripts('/fixtures/core-scenarios.js', '/dist/eventsource.min.js')
  function impl(name) { return name === 'native' ? NativeEventSource : IsomorphicEventSource.EventSource }
  self.onmessage = function (event) {
    var request = event.data
    var reply = function (result) { postMessage({ id: request.id, result: result }) }
    var fail = function (error) { postMessage({ id: request.id, error: String(error && error.stack || error) }) }
    if (request.type === 'globals') {
      reply({
        hadNative: typeof NativeEventSource === 'function',
        globalIsOurs: self.EventSource === IsomorphicEventSource.EventSource,
        globalIsNative: self.EventSource === NativeEventSource && typeof NativeEventSource === 'function',
        oursExposed: typeof IsomorphicEventSource.EventSource === 'function',
      })
      return
    }
    coreScenarios.scenarios[request.scenario](impl(request.impl), request.url).then(reply, fail)
  }`

/** A shared worker with our browser script; each page talks to it through its port. */
const sharedWorker = `
  importScripts('/fixtures/core-scenarios.js', '/dist/eventsource.min.js')
  self.onconnect = function (event) {
    var port = event.ports[0]
    port.onmessage = function (message) {
      var request = message.data
      var impl = request.impl === 'native' ? self.EventSource : IsomorphicEventSource.EventSource
      coreScenarios.scenarios[request.scenario](impl, request.url).then(
        function (result) { port.postMessage({ id: request.id, result: result }) },
        function (error) { port.postMessage({ id: request.id, error: String(error && error.stack || error) }) })
    }
  }`

/** A module worker with our ES module build. */
const moduleWorker = `
  import '/fixtures/core-scenarios.js'
  import { EventSource } from '/dist/index.mjs'
  self.onmessage = (event) => {
    const request = event.data
    coreScenarios.scenarios[request.scenario](EventSource, request.url).then(
      (result) => postMessage({ id: request.id, result }),
      (error) => postMessage({ id: request.id, error: String(error && error.stack || error) }),
    )
  }`

/** Records a result on `window.result` once the page's scripts ran. */
const polyfillPages: Record<string, string> = {
  '/polyfill/script-native.html': html(`
    <script>window.NativeEventSource = window.EventSource</script>
    <script src="/dist/eventsource.min.js"></script>
    <script>
      window.result = {
        globalIsNative: window.EventSource === NativeEventSource,
        nativeCode: /\\[native code\\]/.test(Function.prototype.toString.call(window.EventSource)),
        oursExposed: typeof IsomorphicEventSource.EventSource === 'function',
        oursIsNotNative: IsomorphicEventSource.EventSource !== NativeEventSource,
      }
    </script>`),
  '/polyfill/script-deleted.html': html(`
    <script>delete window.EventSource; window.deleted = typeof window.EventSource === 'undefined'</script>
    <script src="/dist/eventsource.min.js"></script>
    <script>
      var descriptor = Object.getOwnPropertyDescriptor(window, 'EventSource')
      var source = new EventSource('/polyfill/stream')
      source.onmessage = function (event) {
        source.close()
        window.result = {
          deleted: window.deleted,
          globalIsOurs: window.EventSource === IsomorphicEventSource.EventSource,
          descriptor: { writable: descriptor.writable, enumerable: descriptor.enumerable, configurable: descriptor.configurable },
          url: source.url,
          data: event.data,
        }
      }
    </script>`),
  '/polyfill/module-native.html': html(`
    <script>window.NativeEventSource = window.EventSource</script>
    <script type="module">
      import { EventSource as exported } from '/dist/polyfill.mjs'
      import * as main from '/dist/index.mjs'
      window.result = {
        globalIsNative: window.EventSource === NativeEventSource,
        exportIsMain: exported === main.EventSource,
        exportIsNotNative: exported !== NativeEventSource,
      }
    </script>`),
  '/polyfill/module-deleted.html': html(`
    <script>delete window.EventSource; window.deleted = typeof window.EventSource === 'undefined'</script>
    <script type="module">
      import { EventSource as exported } from '/dist/polyfill.mjs'
      import * as main from '/dist/index.mjs'
      const source = new EventSource('/polyfill/stream')
      source.onmessage = (event) => {
        source.close()
        window.result = {
          deleted: window.deleted,
          globalIsOurs: window.EventSource === main.EventSource,
          exportIsMain: exported === main.EventSource,
          enumerable: Object.getOwnPropertyDescriptor(window, 'EventSource').enumerable,
          url: source.url,
          data: event.data,
        }
      }
    </script>`),
}

// ---------------------------------------------------------------------------------------------
// Stream routes

const held = (body: string): RouteHandler => (_req, res) => void startStream(res).write(body)
const ended = (body: string): RouteHandler => (_req, res) => void startStream(res).end(body)

/** Answers `data: <value of each header, or ->` joined by |; ends with `retry: 20` or holds. */
function echoHeaders(names: string[], { end }: { end: boolean }): RouteHandler {
  return (req, res) => {
    const values = names.map((name) => {
      const value = req.headers[name]
      return value === undefined ? '-' : String(value)
    })
    const body = `retry: 20\ndata: ${values.join('|')}\n\n`
    if (end) startStream(res).end(body)
    else startStream(res).write(body)
  }
}

/** Remembers when each request of a route arrived, for checks of the waits between attempts. */
function timed(handler: RouteHandler, arrivals: number[]): RouteHandler {
  return (req, res, request) => {
    arrivals.push(Date.now())
    return handler(req, res, request)
  }
}

const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i])

// ---------------------------------------------------------------------------------------------

let pageErrors: string[] = []

async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(`${url}: ${error.message}`))
  await page.goto(url)
  return page
}

async function scenarioPageIn(context: BrowserContext): Promise<Page> {
  const page = await openPage(context, server.url('/page.html'))
  await page.waitForFunction('window.esm !== undefined && window.extensionScenarios !== undefined', undefined, { timeout: 10000 })
  return page
}

const js = (value: unknown) => JSON.stringify(value)

beforeAll(async () => {
  for (const file of ['eventsource.min.js', 'index.mjs', 'polyfill.mjs']) {
    if (!existsSync(path.join(dist, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first (npm test does)`)
  }
  server = await startServer({
    '/page.html': serveText(scenarioPage, 'text/html; charset=utf-8'),
    '/dist/eventsource.min.js': serveFile(path.join(dist, 'eventsource.min.js'), 'text/javascript'),
    '/dist/index.mjs': serveFile(path.join(dist, 'index.mjs'), 'text/javascript'),
    '/dist/polyfill.mjs': serveFile(path.join(dist, 'polyfill.mjs'), 'text/javascript'),
    '/fixtures/core-scenarios.js': serveFile(path.join(__dirname, 'fixtures', 'core-scenarios.js'), 'text/javascript'),
    '/fixtures/extension-scenarios.js': serveFile(path.join(__dirname, 'fixtures', 'extension-scenarios.js'), 'text/javascript'),
    '/worker.js': serveText(classicWorker, 'text/javascript'),
    '/module-worker.js': serveText(moduleWorker, 'text/javascript'),
    '/shared-worker.js': serveText(sharedWorker, 'text/javascript'),
    '/polyfill/stream': held('data: from the polyfill\n\n'),
    ...Object.fromEntries(Object.entries(polyfillPages).map(([route, page]) => [route, serveText(page, 'text/html; charset=utf-8')])),
  })
  localhostOrigin = `http://localhost:${server.port}`
  chromium = await launchChromium()
  context = chromium.context
}, 60000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
})

afterEach(() => {
  const errors = pageErrors
  pageErrors = []
  expect(errors).toEqual([])
})

// ---------------------------------------------------------------------------------------------

const implementations = [
  ['native', "Chromium's own EventSource"],
  ['iife', 'ours from the browser script'],
  ['esm', 'ours from the ES module build'],
] as const

describe.each(implementations)('core scenarios in a page: %s (%s)', (impl) => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPageIn(context)
  })
  afterAll(async () => {
    await page?.close()
  })

  test.each(coreScenarios.map((scenario) => [scenario.rule, scenario] as const))('%s', async (_rule, scenario) => {
    const base = `/core/${scenario.name}/${impl}`
    scenario.install(server, base)
    const result = await page.evaluate(
      `coreScenarios.scenarios[${js(scenario.name)}](impl(${js(impl)}), ${js(server.url(base))})`,
    )
    expect(comparable(scenario.name as ScenarioName, result)).toEqual(scenario.expected(server.origin, base))
    scenario.checkRequests?.(server, base)
  })

  test('resolves a relative URL against the document base URL', async () => {
    const base = `/core/relative/${impl}`
    server.route(base, held('data: relative\n\n'))
    const result = await page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(base.slice(1))}, {
      until: function (log) { return log.length === 2 } })`)
    expect(result).toMatchObject({ url: server.url(base), log: [{ type: 'open' }, { type: 'message', data: 'relative' }] })
  })

  test('throws a SyntaxError DOMException for a URL that does not parse', async () => {
    const result = await page.evaluate(`(function () {
      try { new (impl(${js(impl)}))('http://127.0.0.1:99999/'); return 'no exception' }
      catch (error) { return { name: error.name, isDOMException: error instanceof DOMException } } })()`)
    expect(result).toEqual({ name: 'SyntaxError', isDOMException: true })
  })

  test.each(['ftp://127.0.0.1/stream', 'mailto:someone@example.test', 'about:blank', 'javascript:void 0'])(
    'fails the connection for a URL fetch cannot fetch: %s',
    async (url) => {
      const result = await page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(url)}, {
        until: function (log) { return log.length === 1 } }).then(function (result) { return result.log })`)
      expect(result).toEqual([{ type: 'error', readyState: 2 }])
    },
  )

  test('sends Accept: text/event-stream and Cache-Control: no-cache', async () => {
    const base = `/core/request-headers/${impl}`
    server.route(base, held(''))
    await page.evaluate(`new Promise(function (resolve) {
      var source = new (impl(${js(impl)}))(${js(server.url(base))}); source.onopen = function () { source.close(); resolve() } })`)
    const [request] = server.requestsTo(base)
    expect(request.method).toBe('GET')
    expect(request.headers.accept).toBe('text/event-stream')
    expect(request.headers['cache-control']).toBe('no-cache')
    expect(request.headers['last-event-id']).toBeUndefined()
  })
})

describe('events our EventSource dispatches in a page', () => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPageIn(context)
    server.route('/trusted', held('data: x\n\n'))
  })
  afterAll(async () => {
    await page?.close()
  })

  const trusted = (impl: string) =>
    page.evaluate(`new Promise(function (resolve) {
      var source = new (impl(${js(impl)}))('/trusted')
      source.onmessage = function (event) { source.close(); resolve({ isTrusted: event.isTrusted, isMessageEvent: event instanceof MessageEvent }) } })`)

  test("are MessageEvents like Chromium's own, but not trusted: only the user agent can dispatch trusted events (DOM § 2.2: isTrusted is false for events a script dispatches)", async () => {
    expect(await trusted('native')).toEqual({ isTrusted: true, isMessageEvent: true })
    expect(await trusted('iife')).toEqual({ isTrusted: false, isMessageEvent: true })
    expect(await trusted('esm')).toEqual({ isTrusted: false, isMessageEvent: true })
  })
})

// ---------------------------------------------------------------------------------------------

describe('window.stop() while connecting', () => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPageIn(context)
  })
  afterAll(async () => {
    await page?.close()
  })

  /** Opens a source on a response that takes 300 ms, calls window.stop() at 50 ms, looks at 600 ms. */
  function stopWhileConnecting(impl: string): Promise<unknown> {
    const base = `/window-stop/${impl}`
    server.route(base, async (_req, res) => {
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

describe.each([
  ['iife', 'the browser script'],
  ['esm', 'the ES module build'],
] as const)('extensions in a page, ours from %s (%s)', (impl, _label) => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPageIn(context)
  })
  afterAll(async () => {
    await page?.close()
  })

  /** Serves `handler` at the scenario's path and runs the scenario in the page. */
  async function run(name: string, handler: RouteHandler): Promise<{ result: unknown; requests: RecordedRequest[]; base: string }> {
    const base = `/ext/${name}/${impl}`
    server.route(base, handler)
    const result = await page.evaluate(`extensionScenarios.scenarios[${js(name)}](api(${js(impl)}), ${js(server.url(base))})`)
    return { result, requests: server.requestsTo(base), base }
  }

  test('headers: static headers go with every attempt', async () => {
    const { result, requests } = await run(
      'headersStatic',
      perAttempt(echoHeaders(['authorization', 'x-client'], { end: true }), echoHeaders(['authorization', 'x-client'], { end: false })),
    )
    expect(result).toEqual(['Bearer static-token|page', 'Bearer static-token|page'])
    expect(requests.map((r) => r.headers.authorization)).toEqual(['Bearer static-token', 'Bearer static-token'])
  })

  test('headers: a function is called before every attempt, and its headers go with that attempt', async () => {
    const { result } = await run('headersFunction', perAttempt(echoHeaders(['x-attempt'], { end: true }), echoHeaders(['x-attempt'], { end: false })))
    expect(result).toEqual({ data: ['1', '2'], calls: 2 })
  })

  test('headers: a Headers object works as the headers option', async () => {
    const { result } = await run('headersObject', echoHeaders(['x-client'], { end: false }))
    expect(result).toEqual(['headers-object'])
  })

  test('method and body: the body is sent again with every attempt', async () => {
    const echo = (end: boolean): RouteHandler => (_req, res, request) => {
      const body = `retry: 20\ndata: ${request.method} ${request.body}\n\n`
      if (end) startStream(res).end(body)
      else startStream(res).write(body)
    }
    const { result, requests } = await run('methodBody', perAttempt(echo(true), echo(false)))
    expect(result).toEqual(['POST {"q":"hi"}', 'POST {"q":"hi"}'])
    expect(requests.map((r) => r.headers['content-type'])).toEqual(['application/json', 'application/json'])
  })

  test('lastEventId option: the first request already sends Last-Event-ID', async () => {
    const { result } = await run('lastEventIdOption', echoHeaders(['last-event-id'], { end: false }))
    expect(result).toMatchObject({ type: 'message', data: 'resume-7' })
  })

  test('backoff: a strategy function chooses each wait from the attempt count and the reconnection time', async () => {
    const arrivals: number[] = []
    const { result } = await run('backoffFunction', timed(ended('retry: 10\n\n'), arrivals))
    expect(result).toEqual({ calls: [[1, 10], [2, 10], [3, 10]], delays: [40, 70, 100] })
    // The waits really happened (timers never fire early; 5 ms of slack for clock granularity).
    const [first, second] = gaps(arrivals)
    expect(first).toBeGreaterThanOrEqual(35)
    expect(second).toBeGreaterThanOrEqual(65)
  })

  test('backoff: exponentialBackoff multiplies the wait by its factor up to its max', async () => {
    const { result } = await run('backoffExponential', ended('retry: 10\n\n'))
    expect(result).toEqual([10, 30, 90, 100])
  })

  test("backoff: constantBackoff always waits the server's retry: time", async () => {
    const { result } = await run('backoffConstant', ended('retry: 25\n\n'))
    expect(result).toEqual([25, 25, 25])
  })

  test('readTimeout: a stream silent for readTimeout ms is dropped with a timeout error and reconnected', async () => {
    const { result } = (await run('readTimeout', perAttempt(held('retry: 20\ndata: one\n\n'), held('data: two\n\n')))) as {
      result: { log: { type: string; data?: string }[]; errors: Record<string, unknown>[] }
    }
    expect(result.log.map((e) => e.data ?? e.type)).toEqual(['open', 'one', 'error', 'open', 'two'])
    expect(result.errors).toHaveLength(1)
    // `status` only says what was wrong with a response; this one was fine.
    expect(result.errors[0]).toMatchObject({ kind: 'timeout', status: undefined, message: 'read timeout after 150 ms', readyState: 0 })
    expect(result.errors[0].retryDelay).toBeGreaterThanOrEqual(20)
  })

  test('readTimeout: comment lines count as activity, so a heartbeat keeps the connection', async () => {
    const heartbeat: RouteHandler = async (_req, res) => {
      startStream(res)
      for (let i = 0; i < 8 && !res.destroyed; i++) {
        res.write(':\n')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      if (!res.destroyed) res.write('data: alive\n\n')
    }
    const { result, requests } = await run('readTimeoutHeartbeat', heartbeat)
    expect(result).toEqual({ log: [expect.objectContaining({ type: 'open' }), expect.objectContaining({ type: 'message', data: 'alive' })], errors: [] })
    expect(requests).toHaveLength(1)
  })

  test('error details: an HTTP error status gives kind http, the status, the headers and a message, and closes', async () => {
    const { result } = await run('errorHttp', (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/event-stream', 'x-reason': 'maintenance', 'access-control-expose-headers': 'x-reason' })
      res.end()
    })
    expect((result as { errors: unknown[] }).errors).toEqual([
      {
        type: 'error',
        readyState: 2,
        isErrorEvent: true,
        isEvent: true,
        kind: 'http',
        status: 503,
        message: 'HTTP 503 Service Unavailable',
        retryDelay: undefined,
        headerXReason: 'maintenance',
        causeName: 'undefined',
      },
    ])
  })

  test('error details: a wrong content type gives kind content-type, naming the type it got', async () => {
    const { result } = await run('errorContentType', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'))
    const [error] = (result as { errors: Record<string, unknown>[] }).errors
    expect(error).toMatchObject({ kind: 'content-type', status: 200, readyState: 2, retryDelay: undefined, isErrorEvent: true })
    expect(error.message).toContain('text/html')
  })

  test('error details: a connection dropped before any response gives kind network with the TypeError as cause, and a retry delay', async () => {
    const { result } = await run('errorNetwork', (req) => void req.socket.destroy())
    const [error] = (result as { errors: Record<string, unknown>[] }).errors
    expect(error).toMatchObject({ kind: 'network', status: undefined, readyState: 0, causeName: 'TypeError', isErrorEvent: true })
    expect(error.retryDelay).toBeGreaterThanOrEqual(10000)
    expect(error.message).toMatch(/^network error: /)
  })

  test('error details: the end of the stream gives kind end, no status (the response was fine) and a retry delay', async () => {
    const { result } = await run('errorEnd', ended('data: once\n\n'))
    const [error] = (result as { errors: Record<string, unknown>[] }).errors
    expect(error).toMatchObject({ kind: 'end', status: undefined, readyState: 0, message: 'the server ended the stream', isErrorEvent: true })
    expect(error.retryDelay).toBeGreaterThanOrEqual(10000)
  })

  test('maxEventSize: an unfinished line that grows past the bound fails the connection with kind event-size', async () => {
    const { result } = await run('maxEventSize', held(`data: ${'x'.repeat(100)}`))
    const [error] = (result as { errors: Record<string, unknown>[] }).errors
    expect(error).toMatchObject({ kind: 'event-size', status: undefined, readyState: 2, retryDelay: undefined, isErrorEvent: true })
  })

  test('shouldRetry: true for a 503 reconnects instead of failing, with the failure and the attempt count', async () => {
    const unavailable: RouteHandler = (_req, res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end()
    const { result, requests } = await run('shouldRetryOn503', perAttempt(unavailable, unavailable, held('data: ok\n\n')))
    const { failures, errors, data } = result as { failures: unknown[]; errors: Record<string, unknown>[]; data: string[] }
    expect(failures).toEqual([
      { kind: 'http', status: 503, attempt: 1, message: 'HTTP 503 Service Unavailable' },
      { kind: 'http', status: 503, attempt: 2, message: 'HTTP 503 Service Unavailable' },
    ])
    expect(errors.map((e) => [e.kind, e.readyState, e.retryDelay])).toEqual([
      ['http', 0, 10],
      ['http', 0, 10],
    ])
    expect(data).toEqual(['ok'])
    expect(requests).toHaveLength(3)
  })

  test('shouldRetry: false closes the source where the spec would reconnect', async () => {
    const { result, requests } = await run('shouldRetryFalse', ended('data: once\n\n'))
    const { errors } = result as { errors: Record<string, unknown>[] }
    expect(errors).toEqual([expect.objectContaining({ kind: 'end', readyState: 2, retryDelay: undefined })])
    expect(requests).toHaveLength(1)
  })

  test('signal: aborting it closes the source at once, without an error event, and ends the request', async () => {
    let closed = false
    const { result } = await run('signalAbort', (_req, res) => {
      res.on('close', () => (closed = true))
      startStream(res).write('data: 1\n\ndata: 2\n\n')
    })
    expect(result).toEqual([expect.objectContaining({ type: 'open' }), expect.objectContaining({ type: 'message', data: '1' }), { aborted: 2 }])
    await waitFor(() => closed, { message: 'the server to see the request ended' })
  })

  test('signal: an already aborted signal gives a CLOSED source that never connects', async () => {
    const { result, requests } = await run('signalAborted', held('data: x\n\n'))
    expect(result).toEqual({ readyState: 2, events: [] })
    expect(requests).toHaveLength(0)
  })
})

// ---------------------------------------------------------------------------------------------

describe('the global polyfill', () => {
  async function resultOf(route: string): Promise<unknown> {
    const page = await openPage(context, server.url(route))
    try {
      await page.waitForFunction('window.result !== undefined', undefined, { timeout: 10000 })
      return await page.evaluate('window.result')
    } finally {
      await page.close()
    }
  }

  test("the browser script leaves Chromium's own EventSource in place and exposes ours as IsomorphicEventSource.EventSource", async () => {
    expect(await resultOf('/polyfill/script-native.html')).toEqual({ globalIsNative: true, nativeCode: true, oursExposed: true, oursIsNotNative: true })
  })

  test('the browser script installs ours as window.EventSource where there is none, and it streams from a relative URL', async () => {
    expect(await resultOf('/polyfill/script-deleted.html')).toEqual({
      deleted: true,
      globalIsOurs: true,
      descriptor: { writable: true, enumerable: false, configurable: true },
      url: server.url('/polyfill/stream'),
      data: 'from the polyfill',
    })
  })

  test("the ./polyfill module leaves Chromium's own EventSource in place and exports the main entry's class", async () => {
    expect(await resultOf('/polyfill/module-native.html')).toEqual({ globalIsNative: true, exportIsMain: true, exportIsNotNative: true })
  })

  test('the ./polyfill module installs the main entry’s class as window.EventSource where there is none', async () => {
    expect(await resultOf('/polyfill/module-deleted.html')).toEqual({
      deleted: true,
      globalIsOurs: true,
      exportIsMain: true,
      enumerable: false,
      url: server.url('/polyfill/stream'),
      data: 'from the polyfill',
    })
  })
})

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
    for (const chunk of chunks) server.route(`/bundle/${chunk}`, serveFile(path.join(work, 'out', chunk), 'text/javascript'))
    server.route('/bundle/page.html', serveText(html('<script type="module" src="/bundle/stdin.js"></script>'), 'text/html; charset=utf-8'))
    server.route('/bundle/stream', held('data: bundled\n\n'))
  })
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  test('streams in a page, from the browser build: no chunk holds the cross-fetch fallback', async () => {
    const page = await openPage(context, server.url('/bundle/page.html'))
    try {
      await page.waitForFunction('window.result !== undefined', undefined, { timeout: 10000 })
      expect(await page.evaluate('window.result')).toEqual({ data: 'bundled', notNative: true })
    } finally {
      await page.close()
    }
    const fallbackChunks = chunks.filter((chunk) => /XMLHttpRequest|cross-fetch/.test(readFileSync(path.join(work, 'out', chunk), 'utf8')))
    expect(fallbackChunks).toEqual([])
    expect(chunks).toEqual(['stdin.js'])
    expect(server.requestsTo('/bundle/stdin.js')).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------

describe('withCredentials across origins (page on 127.0.0.1, stream on localhost)', () => {
  let page: Page
  const requestOrigins: (string | undefined)[] = []

  /** CORS headers as a server that allows credentialed requests from the page's origin sends them. */
  function corsHeaders(req: IncomingMessage): Record<string, string> {
    return {
      'access-control-allow-origin': String(req.headers.origin),
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    }
  }

  /** Answers with the Cookie header the request carried. */
  const echoCookie: RouteHandler = (req, res) => {
    requestOrigins.push(req.headers.origin)
    startStream(res, corsHeaders(req)).write(`data: ${req.headers.cookie ?? 'no cookie'}\n\n`)
  }

  beforeAll(async () => {
    // The cookie belongs to localhost, the stream's origin. A cookie sent to another site needs
    // SameSite=None, which needs Secure; Chromium treats http://localhost as a secure context.
    server.route('/set-cookie', (_req, res) => {
      res.writeHead(200, { 'set-cookie': 'sse-session=yes; Path=/; SameSite=None; Secure', 'content-type': 'text/plain' }).end('set')
    })
    const cookiePage = await context.newPage()
    await cookiePage.goto(`${localhostOrigin}/set-cookie`)
    await cookiePage.close()
    const cookies = await context.cookies(localhostOrigin)
    expect(cookies.map((cookie) => `${cookie.name}=${cookie.value}`)).toEqual(['sse-session=yes'])
    page = await scenarioPageIn(context)
  })
  afterAll(async () => {
    await page?.close()
  })

  async function streamedCookie(impl: string, withCredentials: boolean): Promise<unknown> {
    const base = `/cred/${impl}/${withCredentials}`
    server.route(base, echoCookie)
    return page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(localhostOrigin + base)}, {
      init: { withCredentials: ${withCredentials} },
      until: function (log) { return log.length === 2 } }).then(function (result) { return result.log[1] })`)
  }

  test.each([
    ['native', "Chromium's own EventSource"],
    ['iife', 'ours from the browser script'],
    ['esm', 'ours from the ES module build'],
  ])('%s (%s) sends the cookie only when withCredentials is true', async (impl) => {
    const origin = localhostOrigin
    expect(await streamedCookie(impl, true)).toMatchObject({ type: 'message', data: 'sse-session=yes', origin })
    expect(await streamedCookie(impl, false)).toMatchObject({ type: 'message', data: 'no cookie', origin })
    expect(requestOrigins.slice(-2)).toEqual([server.origin, server.origin])
  })

  /**
   * A cross-origin stream that sends an id and ends, then echoes the reconnection's Last-Event-ID.
   * It answers a CORS preflight (OPTIONS) allowing Last-Event-ID only when `allowPreflight`.
   */
  function lastEventIdRoute(base: string, allowPreflight: boolean): void {
    const preflight = (req: IncomingMessage, res: ServerResponse) => {
      if (!allowPreflight) return void res.writeHead(204).end()
      res.writeHead(204, { ...corsHeaders(req), 'access-control-allow-headers': 'last-event-id' }).end()
    }
    let streams = 0
    server.route(base, (req, res) => {
      if (req.method === 'OPTIONS') return preflight(req, res)
      if (streams++ === 0) startStream(res, corsHeaders(req)).end('retry: 20\nid: 42\ndata: one\n\n')
      else startStream(res, corsHeaders(req)).write(`data: ${req.headers['last-event-id'] ?? 'none'}\n\n`)
    })
  }

  const reconnectWithId = (impl: string, base: string) =>
    page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(localhostOrigin + base)}, {
      until: function (log) { return log.filter(function (e) { return e.type === 'message' }).length === 2 } })
      .then(function (result) { return result.log.map(function (e) { return e.data === undefined ? e.type : e.data }) })`)

  test("Chromium's own EventSource reconnects across origins with Last-Event-ID and no CORS preflight", async () => {
    const base = '/cross-origin-last-event-id/native'
    lastEventIdRoute(base, false)
    expect(await reconnectWithId('native', base)).toEqual(['open', 'one', 'error', 'open', '42'])
    expect(server.requestsTo(base).map((r) => r.method)).toEqual(['GET', 'GET'])
  })

  test.each([
    ['iife', 'ours from the browser script'],
    ['esm', 'ours from the ES module build'],
  ])(
    '%s (%s): a cross-origin reconnection with Last-Event-ID needs a CORS preflight that allows the header (a script\'s fetch cannot send it as the user agent does), and works once the server allows it',
    async (impl) => {
      const base = `/cross-origin-last-event-id/${impl}`
      lastEventIdRoute(base, true)
      expect(await reconnectWithId(impl, base)).toEqual(['open', 'one', 'error', 'open', '42'])
      expect(server.requestsTo(base).map((r) => r.method)).toEqual(['GET', 'OPTIONS', 'GET'])
    },
  )

  /** Opens a source on a cross-origin stream that sends no CORS headers; resolves with its first event. */
  async function withoutCors(impl: string): Promise<{ log: unknown[]; requests: number }> {
    const base = `/cross-origin-no-cors/${impl}`
    server.route(base, held('retry: 20\ndata: secret\n\n'))
    const result = (await page.evaluate(`coreScenarios.collect(impl(${js(impl)}), ${js(localhostOrigin + base)}, {
      until: function (log) { return log.length === 1 } })`)) as { log: unknown[] }
    return { log: result.log, requests: server.requestsTo(base).length }
  }

  test("Chromium's own EventSource fails the connection when a cross-origin response lacks Access-Control-Allow-Origin", async () => {
    expect(await withoutCors('native')).toEqual({ log: [{ type: 'error', readyState: 2 }], requests: 1 })
  })

  test.each([
    ['iife', 'ours from the browser script'],
    ['esm', 'ours from the ES module build'],
  ])(
    '%s (%s): a cross-origin response without Access-Control-Allow-Origin is a network error that reestablishes the connection and lets no message through (§ 9.2.2 processResponse: "reestablish the connection, unless the user agent knows that to be futile, in which case the user agent may fail the connection"; fetch tells a script no CORS failure from a dropped connection)',
    async (impl) => {
      expect(await withoutCors(impl)).toEqual({ log: [{ type: 'error', readyState: 0 }], requests: 1 })
    },
  )
})

// ---------------------------------------------------------------------------------------------

describe('in workers', () => {
  let page: Page
  beforeAll(async () => {
    page = await scenarioPageIn(context)
    await page.evaluate(`window.classicWorker = new Worker('/worker.js'); window.bareWorker = new Worker('/worker.js?delete=1');
      window.moduleWorker = new Worker('/module-worker.js', { type: 'module' })
      window.sharedPort = new SharedWorker('/shared-worker.js').port; sharedPort.start()`)
  })
  afterAll(async () => {
    await page?.close()
  })

  test("importScripts of the browser script keeps the worker's own EventSource and exposes ours", async () => {
    expect(await page.evaluate(`askWorker(classicWorker, { type: 'globals' })`)).toEqual({
      hadNative: true,
      globalIsOurs: false,
      globalIsNative: true,
      oursExposed: true,
    })
  })

  test('importScripts of the browser script installs ours in a worker whose EventSource was deleted', async () => {
    expect(await page.evaluate(`askWorker(bareWorker, { type: 'globals' })`)).toEqual({
      hadNative: true,
      globalIsOurs: true,
      globalIsNative: false,
      oursExposed: true,
    })
  })

  const workerScenarios: ScenarioName[] = ['parsing', 'lifecycle', 'lastEventId', 'close', 'httpError', 'attributes']
  const cases = [
    ['classicWorker', 'native', "the worker's own EventSource"],
    ['classicWorker', 'iife', 'ours from the browser script (importScripts)'],
    ['bareWorker', 'iife', 'ours installed as the global by the browser script'],
    ['moduleWorker', 'esm', 'ours from the ES module build (module worker)'],
    ['sharedPort', 'native', "a shared worker's own EventSource"],
    ['sharedPort', 'iife', 'ours from the browser script in a shared worker'],
  ] as const
  for (const [worker, impl, label] of cases) {
    for (const name of workerScenarios) {
      const scenario = coreScenarios.find((s) => s.name === name)!
      test(`${label}: ${scenario.rule}`, async () => {
        const base = `/worker/${worker}/${impl}/${name}`
        scenario.install(server, base)
        const result = await page.evaluate(`askWorker(${worker}, ${js({ scenario: name, impl, url: server.url(base) })})`)
        expect(comparable(name, result)).toEqual(scenario.expected(server.origin, base))
        scenario.checkRequests?.(server, base)
      })
    }
  }
})

