// The browser section of `npm run bench` (also `node bench/browser.mjs [--quick] [--runs=N]`):
// headless Chromium (Debian's `chromium` on PATH, never a downloaded one) runs one page that
// measures, on the same streams from the same server, our browser script (dist/eventsource.min.js),
// Chromium's own EventSource, bare fetch + TextDecoder (the limit: no parsing, no events), and the
// floor of the parts the library is built on (fetch + TextDecoder + eventsource-parser + a
// MessageEvent per event dispatched on a plain EventTarget), with the event made by its constructor
// and by document.createEvent + initMessageEvent. Before the rounds, the page times the two ways of
// making a MessageEvent by themselves and compares the events they make.
//
// Chromium is spawned directly, not through playwright: a page that a devtools client tracks
// reports every EventSource message to it, which makes the native class 6–8× slower than it is
// for users. The page runs every round by itself and POSTs its results back; then Chromium is
// killed (by its process group) and its fresh profile removed.
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { mix } from './lib/checksum.mjs'
import { pump } from './lib/pump.mjs'
import { buildStream, resolveWorkload } from './lib/workloads.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')
/** The flags of test/browser/chromium.ts, plus what a page running by itself needs. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const BROWSER_IMPLS = ['ours', 'native', 'fetch-text', 'fetch-dispatch', 'fetch-dispatch-init']
export const BROWSER_IMPL_NOTES = {
  ours: 'this library, the browser script dist/eventsource.min.js, addEventListener',
  native: "Chromium's own EventSource, addEventListener",
  'fetch-text': 'limit: fetch + streaming TextDecoder, counts bytes and chars (no parsing, no events)',
  'fetch-dispatch':
    'floor: fetch + TextDecoder + eventsource-parser + new MessageEvent(type, { data, origin, lastEventId }) + dispatchEvent on an EventTarget',
  'fetch-dispatch-init': "floor, as fetch-dispatch but the event made by document.createEvent('MessageEvent') + initMessageEvent",
}
/** The browser's workloads: the Node ones of the same names, with sizes for one page run. */
const BROWSER_WORKLOADS = {
  small: [100_000, 10_000],
  'large-mixed': [300, 40],
  'multiline-mixed': [20_000, 2_000],
}

/** The data of the first event of a stream whose data lines all start `data: ` (no CR). */
function firstData(buffer) {
  const text = buffer.subarray(0, buffer.indexOf('\n\n')).toString('utf8')
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6))
    .join('\n')
}

function chromiumPath() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    try {
      accessSync(join(dir, 'chromium'), constants.X_OK)
      return join(dir, 'chromium')
    } catch {
      // not here
    }
  }
  return undefined
}

/** utime + stime (ms) of every process whose command line names `marker` (Chromium's profile dir). */
function cpuMsOf(marker) {
  let ticks = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker)) continue
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10
}

/** The page: times the two ways of making a MessageEvent, runs warm-up and rounds, alternating the implementations, then POSTs the results. */
function page(cfg) {
  return `<!doctype html><meta charset="utf-8"><title>bench</title>
<script src="/eventsource.min.js"></script>
<script src="/eventsource-parser.js"></script>
<script>
const CFG = ${JSON.stringify(cfg)}
${mix.toString()}
const ES = { ours: IsomorphicEventSource.EventSource, native: window.EventSource }
const post = (path, body) => fetch(path, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json())

/** The two ways of making the MessageEvent of an EventSource message. */
const MAKE = {
  construct: (type, data, origin, lastEventId) => new MessageEvent(type, { data, origin, lastEventId }),
  init: (type, data, origin, lastEventId) => {
    const event = document.createEvent('MessageEvent')
    event.initMessageEvent(type, false, false, data, origin, lastEventId)
    return event
  },
}

/** What every reader does with each event: count, sum of data lengths, checksum, last id. */
function tally(w, onDone) {
  const N = w.expected.events
  let n = 0, len = 0, h = 0
  return (event) => {
    const d = event.data
    n++
    len += d.length
    h = mix(h, d)
    if (n === N) onDone({ events: n, dataChars: len, hash: h, lastEventId: event.lastEventId })
  }
}

function runSource(impl, w, url) {
  return new Promise((resolve, reject) => {
    const source = new ES[impl](url)
    source.addEventListener(w.type, tally(w, (result) => {
      source.close()
      resolve(result)
    }))
    source.onerror = () => {
      source.close()
      reject(new Error(impl + ': error event'))
    }
  })
}

async function runFetchText(w, url) {
  const response = await fetch(url)
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let bytes = 0, chars = 0
  while (bytes < w.expected.bytes) {
    const { value, done } = await reader.read()
    if (done) throw new Error('stream ended after ' + bytes + ' bytes')
    bytes += value.length
    chars += decoder.decode(value, { stream: true }).length
  }
  reader.cancel().catch(() => {})
  return { bytes, chars }
}

/** The floor: fetch + TextDecoder + eventsource-parser + make(...) dispatched on a plain EventTarget. */
async function runFetchDispatch(w, url, make) {
  const target = new EventTarget()
  let result
  target.addEventListener(w.type, tally(w, (r) => (result = r)))
  let origin = ''
  let lastEventId = ''
  const parser = EventSourceParser.createParser({
    onId(id) {
      lastEventId = id
    },
    onEvent(message) {
      target.dispatchEvent(make(message.event || 'message', message.data, origin, lastEventId))
    },
  })
  const response = await fetch(url)
  origin = new URL(response.url).origin
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  while (result === undefined) {
    const { value, done } = await reader.read()
    if (done) throw new Error('stream ended early')
    parser.feed(decoder.decode(value, { stream: true }))
  }
  reader.cancel().catch(() => {})
  return result
}

const RUN = {
  'fetch-text': runFetchText,
  'fetch-dispatch': (w, url) => runFetchDispatch(w, url, MAKE.construct),
  'fetch-dispatch-init': (w, url) => runFetchDispatch(w, url, MAKE.init),
}

async function runOne(impl, w, round) {
  const url = '/stream/' + w.name + '?' + impl + '-' + round
  await post('/mark', { at: 'start' })
  const t0 = performance.now()
  const got = RUN[impl] ? await RUN[impl](w, url) : await runSource(impl, w, url)
  const ms = performance.now() - t0
  const { cpuMs } = await post('/mark', { at: 'end' })
  return { impl, workload: w.name, round, ms, cpuMs, ...got }
}

/**
 * Micro-bench: ns per event for making one (make), and for making and dispatching it to one
 * listener (dispatch), alternating the two ways in blocks, each block starting with the other; for
 * each case (event type and data as in a workload).
 */
function microBench() {
  const COUNT = CFG.microCount
  const origin = location.origin
  let sink = 0
  const time = (fn) => {
    const t0 = performance.now()
    fn()
    return ((performance.now() - t0) * 1e6) / COUNT
  }
  const ways = Object.keys(MAKE)
  const cases = []
  for (const c of CFG.microCases) {
    const target = new EventTarget()
    target.addEventListener(c.type, (event) => {
      sink += event.data.length
    })
    const runs = {}
    for (const way of ways) runs[way] = { make: [], dispatch: [] }
    for (let block = 0; block <= CFG.microBlocks; block++) {
      for (let k = 0; k < ways.length; k++) {
        const way = ways[(k + block) % ways.length]
        const make = MAKE[way]
        const m = time(() => {
          for (let i = 0; i < COUNT; i++) sink += make(c.type, c.data, origin, String(i)).data.length
        })
        const d = time(() => {
          for (let i = 0; i < COUNT; i++) target.dispatchEvent(make(c.type, c.data, origin, String(i)))
        })
        // Block 0 is the warm-up.
        if (block > 0) {
          runs[way].make.push(m)
          runs[way].dispatch.push(d)
        }
      }
    }
    cases.push({ name: c.name, runs })
  }
  return { count: COUNT, cases, sink }
}

/** Every attribute of an event (own and inherited), before and after dispatch, for comparing the two ways. */
function describeEvent(make) {
  const read = (event) => {
    const out = {}
    for (const key in event) {
      const v = event[key]
      if (typeof v === 'function' || key === 'timeStamp') continue
      out[key] = Array.isArray(v) ? { array: v.length, frozen: Object.isFrozen(v) } : v === null || typeof v !== 'object' ? v : String(v)
    }
    out.instanceofMessageEvent = event instanceof MessageEvent
    out.instanceofEvent = event instanceof Event
    out.constructorName = event.constructor.name
    out.toString = Object.prototype.toString.call(event)
    out.timeStampIsNumber = typeof event.timeStamp === 'number' && event.timeStamp > 0
    return out
  }
  const event = make('tick', 'a\\nb', location.origin, '42')
  const before = read(event)
  const target = new EventTarget()
  let during
  target.addEventListener('tick', (e) => (during = read(e)))
  target.dispatchEvent(event)
  return { before, during, after: read(event) }
}

/** The same comparison in a dedicated worker, where document (and so createEvent) is missing. */
function inWorker() {
  const code = 'const make = ' + MAKE.construct.toString() + ';' +
    'const e = make("tick", "x", "http://o", "1");' +
    'postMessage({ hasDocument: typeof document !== "undefined", instanceofMessageEvent: e instanceof MessageEvent, ' +
    'type: e.type, data: e.data, origin: e.origin, lastEventId: e.lastEventId, source: e.source, ports: e.ports.length })'
  return new Promise((resolve) => {
    const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })))
    worker.onmessage = (m) => {
      worker.terminate()
      resolve(m.data)
    }
    worker.onerror = (e) => resolve({ error: String(e.message) })
  })
}

async function main() {
  const micro = microBench()
  const identity = { construct: describeEvent(MAKE.construct), init: describeEvent(MAKE.init), worker: await inWorker() }
  const results = []
  const rounds = CFG.rounds + 1
  for (let round = 0; round < rounds; round++) {
    for (const w of CFG.workloads) {
      // Round 0 is the warm-up; each round starts with another implementation.
      for (let k = 0; k < CFG.impls.length; k++) {
        const impl = CFG.impls[(k + round) % CFG.impls.length]
        try {
          const r = await runOne(impl, w, round - 1)
          if (round > 0) results.push(r)
        } catch (e) {
          results.push({ impl, workload: w.name, round: round - 1, error: String(e) })
        }
      }
    }
  }
  await post('/result', { userAgent: navigator.userAgent, micro, identity, results })
}
main().catch((e) => post('/result', { error: String(e && e.stack || e) }))
</script>`
}

/**
 * Runs the browser section and returns its results: { userAgent, results: [{ impl, workload,
 * round, ms, cpuMs, ... }], workloads }, or { skipped: reason }.
 */
export async function runBrowserBench({ quick = false, runs = 7, script = join(ROOT, 'dist', 'eventsource.min.js') } = {}) {
  const executable = chromiumPath()
  if (!executable) return { skipped: "no `chromium` on PATH (npm run setup:chromium installs Debian's package)" }
  let scriptText
  try {
    scriptText = readFileSync(script)
  } catch {
    return { skipped: `${script} is missing (npm run build)` }
  }
  const workloads = Object.entries(BROWSER_WORKLOADS).map(([name, events]) => {
    const w = { ...resolveWorkload(name, quick), events: events[quick ? 1 : 0] }
    const { buffer, expected } = buildStream(w)
    return { name, type: w.eventType ?? 'message', describe: w.describe, buffer, expected, firstData: firstData(buffer) }
  })
  // eventsource-parser for the page's floor implementations: the version the library bundles, as a
  // script that defines the global EventSourceParser.
  const parserScript = (
    await build({
      stdin: { contents: "export { createParser } from 'eventsource-parser'", resolveDir: ROOT },
      bundle: true,
      format: 'iife',
      globalName: 'EventSourceParser',
      minify: true,
      write: false,
      logLevel: 'silent',
    })
  ).outputFiles[0].text
  const profile = mkdtempSync(join(tmpdir(), 'bench-chromium-'))
  let cpuAtStart = 0
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    if (req.method === 'POST') {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        const message = JSON.parse(body)
        if (url.pathname === '/mark') {
          const cpu = cpuMsOf(profile)
          if (message.at === 'start') cpuAtStart = cpu
          res.writeHead(200, { 'Content-Type': 'application/json' })
          return res.end(JSON.stringify({ cpuMs: cpu - cpuAtStart }))
        }
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end('{}')
        if (url.pathname === '/result') finish(message)
      })
      return
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      const cfg = {
        rounds: runs,
        impls: BROWSER_IMPLS,
        workloads: workloads.map(({ buffer, ...w }) => w),
        microCount: quick ? 20_000 : 200_000,
        // The first event of the small and of the multiline-mixed workload.
        microCases: ['small', 'multiline-mixed'].map((name) => {
          const w = workloads.find((x) => x.name === name)
          return { name, type: w.type, data: w.firstData }
        }),
        microBlocks: quick ? 1 : 5,
      }
      return res.end(page(cfg))
    }
    if (url.pathname === '/eventsource.min.js' || url.pathname === '/eventsource-parser.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' })
      return res.end(url.pathname === '/eventsource.min.js' ? scriptText : parserScript)
    }
    const w = workloads.find((x) => url.pathname === `/stream/${x.name}`)
    if (!w) {
      res.writeHead(404)
      return res.end()
    }
    req.resume()
    res.socket.setNoDelay(true)
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
    res.flushHeaders()
    pump(res, w.buffer)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${server.address().port}`
  const chromium = spawn(executable, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, `${origin}/`], {
    detached: true,
    stdio: 'ignore',
  })
  const timeoutMs = (quick ? 2 : 10) * 60_000
  let timer
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ error: `no result from the page after ${timeoutMs / 1000} s` }), timeoutMs)
  })
  const exited = new Promise((resolve) =>
    chromium.once('exit', (code) => resolve({ error: `chromium exited (${code}) before the page reported` })),
  )
  try {
    const message = await Promise.race([done, timeout, exited])
    if (message.error) return { skipped: message.error }
    return { ...message, workloads: workloads.map(({ buffer, ...w }) => w) }
  } finally {
    clearTimeout(timer)
    // The whole process group: Chromium's wrapper script, the browser and its helpers.
    try {
      process.kill(-chromium.pid, 'SIGKILL')
    } catch {
      // already gone
    }
    server.closeAllConnections()
    server.close()
    await new Promise((resolve) => setTimeout(resolve, 200))
    rmSync(profile, { recursive: true, force: true })
  }
}

/** Checks each run against what the server sent; returns an error string or undefined. */
export function verifyBrowserRun(r, w) {
  if (r.error) return r.error
  const e = w.expected
  if (r.impl === 'fetch-text') {
    if (r.bytes !== e.bytes || r.chars !== e.chars) return `bytes ${r.bytes}/${e.bytes}, chars ${r.chars}/${e.chars}`
    return undefined
  }
  if (r.events !== e.events || r.dataChars !== e.dataChars || r.hash !== e.hash) {
    return `events ${r.events}/${e.events}, data chars ${r.dataChars}/${e.dataChars}, checksum ${r.hash}/${e.hash}`
  }
  if (e.lastEventId !== undefined && r.lastEventId !== e.lastEventId) return `lastEventId ${r.lastEventId} ≠ ${e.lastEventId}`
  return undefined
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const runsArg = process.argv.find((a) => a.startsWith('--runs='))
  const out = await runBrowserBench({ quick, runs: runsArg ? Number(runsArg.slice(7)) : quick ? 1 : 7 })
  console.log(
    JSON.stringify(out.skipped ?? { userAgent: out.userAgent, micro: out.micro, identity: out.identity, results: out.results }, null, 1),
  )
}
