/**
 * The loopback site the browser suites load: one `node:http` server on 127.0.0.1 serving the
 * scenario page, the built files (dist/), the scenario scripts (fixtures/), the worker scripts and
 * the polyfill pages; tests add their stream routes to it. Pages load from http://127.0.0.1:PORT;
 * the cross-origin tests reach the same server as http://localhost:PORT, which is another origin
 * (and another site) to a browser.
 *
 * Every page records its uncaught errors and unhandled rejections in `window.__pageErrors`, so a
 * suite can check after each test, in any engine, that the page threw nothing.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { startServer, startStream, type RouteHandler, type TestServer } from '../helpers/server'

const root = path.resolve(__dirname, '..', '..')
export const dist = path.join(root, 'dist')

export interface TestSite {
  server: TestServer
  /** `http://localhost:PORT`: the same server as another origin and site. */
  localhostOrigin: string
  close(): Promise<void>
}

export function serveFile(file: string, contentType: string): RouteHandler {
  return (_req, res) => {
    // Read on every request, so a rebuilt dist/ is what the page gets.
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(readFileSync(file))
  }
}

export function serveText(text: string, contentType: string): RouteHandler {
  return (_req, res) => void res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text)
}

/** A handler that sends `body` as an event stream and holds the response open. */
export const held =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).write(body)
/** A handler that sends `body` as an event stream and ends the response. */
export const ended =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).end(body)

/** Records the page's uncaught errors; the first script of every page. */
const errorRecorder = `<script>
  window.__pageErrors = []
  addEventListener('error', function (event) { __pageErrors.push(String(event.message)) })
  addEventListener('unhandledrejection', function (event) { __pageErrors.push('unhandled rejection: ' + String(event.reason && event.reason.stack || event.reason)) })
</script>`

export const html = (head: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>isomorphic-eventsource</title>${errorRecorder}${head}</head><body></body></html>`

/**
 * The page of the core and extension scenarios: the engine's own class (`impl('native')`), ours
 * from the browser script (`impl('iife')`) and from the ES module build (`impl('esm')`).
 */
const scenarioPage = html(`
  <script>window.NativeEventSource = window.EventSource</script>
  <script src="/fixtures/core-scenarios.js"></script>
  <script src="/fixtures/extension-scenarios.js"></script>
  <script src="/fixtures/iteration-scenarios.js"></script>
  <script src="/dist/eventsource.min.js"></script>
  <script>
    window.impl = function (name) {
      return name === 'native' ? NativeEventSource : name === 'iife' ? IsomorphicEventSource.EventSource : esm.EventSource
    }
    window.api = function (name) { return name === 'iife' ? IsomorphicEventSource : esm }
    /** Sends a request to a worker (or a shared worker's port) and resolves with its answer. */
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

/** Whether the scenario page's scripts (the module script last) have all run. */
export const SCENARIO_PAGE_READY =
  'window.esm !== undefined && window.extensionScenarios !== undefined && window.iterationScenarios !== undefined'

/**
 * The page of the networkAware suite: its fixture (listener counts, a logging source, played
 * network and visibility changes) before our browser script.
 */
const networkAwarePage = html(`
  <script src="/fixtures/network-aware.js"></script>
  <script src="/dist/eventsource.min.js"></script>`)

/** Whether the networkAware page's scripts have run. */
export const NETWORK_AWARE_PAGE_READY = 'window.openSource !== undefined && window.IsomorphicEventSource !== undefined'

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

/** A dedicated worker running the iteration scenarios with our browser script (importScripts). */
const iterationWorker = `
  importScripts('/dist/eventsource.min.js', '/fixtures/iteration-scenarios.js')
  self.onmessage = function (event) {
    var request = event.data
    iterationScenarios.scenarios[request.scenario](IsomorphicEventSource, request.url).then(
      function (result) { postMessage({ id: request.id, result: result }) },
      function (error) { postMessage({ id: request.id, error: String(error && error.stack || error) }) })
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

/** The polyfill pages: each records its result on `window.result` once its scripts ran. */
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

/** Starts the site; throws if dist/ has not been built. */
export async function startSite(): Promise<TestSite> {
  for (const file of ['eventsource.min.js', 'index.mjs', 'polyfill.mjs']) {
    if (!existsSync(path.join(dist, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first (npm test does)`)
  }
  const server = await startServer({
    '/page.html': serveText(scenarioPage, 'text/html; charset=utf-8'),
    '/dist/eventsource.min.js': serveFile(path.join(dist, 'eventsource.min.js'), 'text/javascript'),
    '/dist/index.mjs': serveFile(path.join(dist, 'index.mjs'), 'text/javascript'),
    '/dist/polyfill.mjs': serveFile(path.join(dist, 'polyfill.mjs'), 'text/javascript'),
    '/fixtures/core-scenarios.js': serveFile(path.join(__dirname, 'fixtures', 'core-scenarios.js'), 'text/javascript'),
    '/fixtures/extension-scenarios.js': serveFile(path.join(__dirname, 'fixtures', 'extension-scenarios.js'), 'text/javascript'),
    '/fixtures/iteration-scenarios.js': serveFile(path.join(__dirname, 'fixtures', 'iteration-scenarios.js'), 'text/javascript'),
    '/fixtures/network-aware.js': serveFile(path.join(__dirname, 'fixtures', 'network-aware.js'), 'text/javascript'),
    '/network-aware.html': serveText(networkAwarePage, 'text/html; charset=utf-8'),
    '/worker.js': serveText(classicWorker, 'text/javascript'),
    '/module-worker.js': serveText(moduleWorker, 'text/javascript'),
    '/shared-worker.js': serveText(sharedWorker, 'text/javascript'),
    '/iteration-worker.js': serveText(iterationWorker, 'text/javascript'),
    '/polyfill/stream': held('data: from the polyfill\n\n'),
    ...Object.fromEntries(Object.entries(polyfillPages).map(([route, page]) => [route, serveText(page, 'text/html; charset=utf-8')])),
  })
  return { server, localhostOrigin: `http://localhost:${server.port}`, close: () => server.close() }
}

/** JSON for values spliced into page expressions. */
export const js = (value: unknown) => JSON.stringify(value)
