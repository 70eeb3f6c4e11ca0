// One benchmark run: one implementation, one workload, in a fresh process (started by run.mjs with
// --expose-gc). Reports one result object over IPC and exits. Nothing here decides pass/fail: the
// parent compares the counts and checksums with what the server built.
import http from 'node:http'
import v8 from 'node:v8'
import { mix } from './lib/checksum.mjs'

const cfg = JSON.parse(process.argv[2])
const { impl, url, expected: exp, w } = cfg
const WATCHDOG_MS = cfg.timeoutMs ?? 120_000

const gc = globalThis.gc
if (typeof gc !== 'function') throw new Error('run with --expose-gc')

const now = () => process.hrtime.bigint()
const toMs = (ns) => Number(ns) / 1e6

let reported = false
function report(result) {
  if (reported) return
  reported = true
  process.send({ impl, workload: w.name, ...result }, () => process.exit(0))
  // If IPC hangs, do not hang with it.
  setTimeout(() => process.exit(0), 2_000).unref()
}
const watchdog = setTimeout(() => report({ ok: false, error: `client watchdog: no result after ${WATCHDOG_MS} ms` }), WATCHDOG_MS)
process.on('uncaughtException', (e) => report({ ok: false, error: `uncaught: ${e?.stack ?? e}` }))
process.on('unhandledRejection', (e) => report({ ok: false, error: `unhandled rejection: ${e?.stack ?? e}` }))

// ---------------------------------------------------------------------------------------------
// Measurement helpers shared by every implementation.

/** Wall clock, CPU and heap of one timed window; time spent in the mid-stream gc is left out. */
function makeMeter() {
  gc()
  const heapBase = process.memoryUsage().heapUsed
  let peak = 0
  const sampler = setInterval(() => {
    const u = v8.getHeapStatistics().used_heap_size
    if (u > peak) peak = u
  }, 20)
  const t0 = now()
  const c0 = process.cpuUsage()
  let pauseNs = 0n
  let pauseCpu = 0
  let heapMid
  return {
    /** Runs fn outside the timed window (its wall and CPU time are subtracted). */
    pause(fn) {
      const p0 = now()
      const pc = process.cpuUsage()
      const r = fn()
      const pc1 = process.cpuUsage(pc)
      pauseCpu += pc1.user + pc1.system
      pauseNs += now() - p0
      return r
    },
    /** A full gc in the middle of the stream: the heap the stream holds while it flows. */
    midGc() {
      this.pause(() => {
        gc()
        heapMid = process.memoryUsage().heapUsed
      })
    },
    stop() {
      const t1 = now()
      const wallNs = t1 - t0 - pauseNs
      const c = process.cpuUsage(c0)
      clearInterval(sampler)
      const u = v8.getHeapStatistics().used_heap_size
      if (u > peak) peak = u
      return {
        wallMs: toMs(wallNs),
        cpuUs: c.user + c.system - pauseCpu,
        heapBase,
        heapMid,
        heapPeak: peak,
        // The timed window on the monotonic clock in µs (what V8's profiler stamps samples with).
        windowUs: [Number(t0 / 1000n), Number(t1 / 1000n)],
      }
    },
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

/** Latency samples: the listener gets `SEQ TIMESTAMP`; SEQ goes into the checksum. */
function makeLatency() {
  const lat = new Float64Array(w.events)
  let n = 0
  let h = 0
  let outOfOrder = 0
  return {
    get n() {
      return n
    },
    add(d, t) {
      const sp = d.indexOf(' ')
      const seqStr = d.slice(0, sp)
      if (+seqStr !== n) outOfOrder++
      lat[n] = Number(t - BigInt(d.slice(sp + 1))) / 1000
      h = mix(h, seqStr)
      n++
    },
    result() {
      const kept = Array.from(lat.subarray(Math.min(w.skip, n), n)).sort((a, b) => a - b)
      return {
        events: n,
        hash: h,
        outOfOrder,
        latency: {
          p50: percentile(kept, 50),
          p99: percentile(kept, 99),
          max: kept[kept.length - 1],
          samples: kept.length,
        },
      }
    },
  }
}

/** Churn: snapshots at w.snapshotAt and every w.snapshotEvery cycles after it, outside the timed window. */
function makeSnapshots(meter) {
  const list = []
  return {
    list,
    at(n) {
      if (n >= w.snapshotAt && (n - w.snapshotAt) % w.snapshotEvery === 0) list.push({ n, ...meter.pause(snapshot) })
    },
  }
}

function snapshot() {
  gc()
  const res = process.getActiveResourcesInfo()
  return {
    heap: process.memoryUsage().heapUsed,
    handles: res.length,
    sockets: res.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length,
    resources: res.join(','),
  }
}

// ---------------------------------------------------------------------------------------------
// EventSource-shaped implementations: ours and the peer.

async function loadEventSource() {
  if (impl === 'ours' || impl === 'ours-iterate' || impl === 'await-floor') {
    const mod = await import(cfg.oursModule)
    return { ES: mod.EventSource, churnOptions: { backoff: mod.constantBackoff } }
  }
  const mod = await import('eventsource')
  return { ES: mod.EventSource, churnOptions: {} }
}

/**
 * Counts, measures and checksums the events of a stream workload, the same way for every reader:
 * `add(event)` returns the run's result once the last expected event came, else undefined.
 */
function streamTally() {
  const N = exp.events
  const half = N >> 1
  const meter = makeMeter()
  let n = 0
  let len = 0
  let h = 0
  return {
    get count() {
      return n
    },
    add(ev) {
      const d = ev.data
      n++
      len += d.length
      h = mix(h, d)
      if (n === half) meter.midGc()
      if (n !== N) return undefined
      return { ok: true, events: n, dataChars: len, hash: h, lastEventId: ev.lastEventId, ...meter.stop() }
    },
  }
}

function runEventSourceStream(ES) {
  const tally = streamTally()
  const es = new ES(url)
  es.addEventListener(w.eventType ?? 'message', (ev) => {
    const result = tally.add(ev)
    if (!result) return
    es.close()
    report(result)
  })
  es.addEventListener('error', (ev) => {
    es.close()
    report({ ok: false, error: `error event after ${tally.count} events: ${ev.message ?? ev.kind ?? ''}`, events: tally.count })
  })
}

/** The same stream as runEventSourceStream, read with `for await` instead of a listener. */
async function runEventSourceIterate(ES) {
  const tally = streamTally()
  const es = new ES(url)
  es.addEventListener('error', (ev) => {
    if (ev.retryDelay !== undefined) es.close()
  })
  try {
    for await (const ev of es.events({ types: [w.eventType ?? 'message'] })) {
      const result = tally.add(ev)
      if (result) return void report(result) // leaving the loop closes the source
    }
    report({ ok: false, error: `the loop ended after ${tally.count} events`, events: tally.count })
  } catch (error) {
    report({ ok: false, error: `the loop threw after ${tally.count} events: ${error.message}`, events: tally.count })
  }
}

/**
 * The floor of `for await` over a source's events: a listener puts each event in a bare queue that
 * the simplest async iterator serves (no filter, no flow control). ours-iterate against this is what
 * the library's own iterator adds; this against `ours` is what the language's per-item await costs.
 */
async function runAwaitFloor(ES) {
  const tally = streamTally()
  const es = new ES(url)
  const queue = bareQueue()
  es.addEventListener(w.eventType ?? 'message', (ev) => queue.push(ev))
  es.addEventListener('error', (ev) => {
    es.close()
    report({ ok: false, error: `error event after ${tally.count} events: ${ev.message ?? ''}`, events: tally.count })
  })
  for await (const ev of queue) {
    const result = tally.add(ev)
    if (result) {
      es.close()
      return void report(result)
    }
  }
}

/** The simplest async iterator over items pushed to it: one resolved promise per item, no end. */
function bareQueue() {
  let items = []
  let head = 0
  let wake
  return {
    push(item) {
      items.push(item)
      if (wake) wake()
    },
    next() {
      if (head < items.length) {
        const value = items[head++]
        if (head === items.length) {
          items = []
          head = 0
        }
        return Promise.resolve({ value, done: false })
      }
      return new Promise((resolve) => {
        wake = () => {
          wake = undefined
          resolve(this.next())
        }
      })
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

function runEventSourceLatency(ES) {
  const L = makeLatency()
  const meter = makeMeter()
  const es = new ES(url)
  es.addEventListener('message', (ev) => {
    L.add(ev.data, now())
    if (L.n === w.events) {
      const m = meter.stop()
      es.close()
      report({ ok: true, ...m, ...L.result() })
    }
  })
  es.addEventListener('error', (ev) => {
    es.close()
    report({ ok: false, error: `error event after ${L.n} events: ${ev.message ?? ''}` })
  })
}

function runEventSourceChurn(ES, options) {
  const N = exp.events
  let n = 0
  let len = 0
  let h = 0
  let errors = 0
  const before = snapshot()
  const meter = makeMeter()
  const snaps = makeSnapshots(meter)
  const es = new ES(url, options)
  es.addEventListener('message', (ev) => {
    const d = ev.data
    n++
    len += d.length
    h = mix(h, d)
    snaps.at(n)
    if (n === N) {
      const m = meter.stop()
      const lastEventId = ev.lastEventId
      es.close()
      settleAndReport({ events: n, dataChars: len, hash: h, lastEventId, errors, before, snaps: snaps.list, ...m })
    }
  })
  // Every cycle ends with an error event (the stream ended); that is the reconnect being measured.
  es.addEventListener('error', () => {
    errors++
  })
}

/** After close, wait (bounded) for sockets to go, then take the last snapshot. */
async function settleAndReport(r) {
  const deadline = Date.now() + 2_000
  let after = snapshot()
  while (after.sockets > r.before.sockets && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    after = snapshot()
  }
  report({ ok: true, ...r, after })
}

/**
 * Idle sources: opens w.sources[0] sources to one origin, waits until each has its first event,
 * takes the heap after gc, opens more up to w.sources[1], and again. What each source holds while
 * it waits for the next event is the heap above the baseline, divided by the number of sources.
 * `open(onFirst)` starts one and returns how to close it.
 */
async function runIdle(open) {
  const sizes = w.sources
  const closers = []
  let opened = 0
  let failed
  const onFirst = () => opened++
  const onFail = (why) => {
    failed ??= why
  }
  const heapAfterGc = async () => {
    // Let pending reads and timers settle, then collect everything collectable.
    await new Promise((resolve) => setTimeout(resolve, 300))
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    return process.memoryUsage().heapUsed
  }
  const base = await heapAfterGc()
  const t0 = now()
  const points = []
  for (const n of sizes) {
    while (closers.length < n) closers.push(open(onFirst, onFail))
    while (opened < n && failed === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
    if (failed !== undefined) break
    points.push({ sources: n, heap: (await heapAfterGc()) - base })
  }
  const wallMs = toMs(now() - t0)
  for (const close of closers) close()
  if (failed !== undefined) return report({ ok: false, error: `${failed} (${opened} sources had opened)` })
  report({ ok: true, events: opened, points, wallMs })
}

function idleEventSource(ES) {
  return (onFirst, onFail) => {
    const es = new ES(url)
    let first = true
    es.addEventListener('message', () => {
      if (first) onFirst()
      first = false
    })
    es.addEventListener('error', () => onFail(`error event, readyState ${es.readyState}`))
    return () => es.close()
  }
}

function idleFetch() {
  return (onFirst, onFail) => {
    const controller = new AbortController()
    fetch(url, { signal: controller.signal, headers: { Accept: 'text/event-stream' } })
      .then(async (res) => {
        const reader = res.body.getReader()
        await reader.read()
        onFirst()
        // Waits for the next chunk, as a source does.
        await reader.read()
      })
      .catch((e) => {
        if (!controller.signal.aborted) onFail(String(e))
      })
    return () => controller.abort()
  }
}

// ---------------------------------------------------------------------------------------------
// Limits.

/** Counts LF LF pairs across chunk boundaries (stream-global offsets). */
function makeLfLfCounter() {
  let lastLf = -2
  let base = 0
  let count = 0
  return {
    bytes(chunk) {
      let i = chunk.indexOf(10)
      while (i !== -1) {
        const abs = base + i
        if (abs === lastLf + 1) {
          count++
          lastLf = -2
        } else lastLf = abs
        i = chunk.indexOf(10, i + 1)
      }
      base += chunk.length
    },
    get count() {
      return count
    },
  }
}

/** Minimal event extraction for the limits' latency and churn loops: complete events only. */
function makeSplitter(onEvent) {
  let carry = ''
  return (s) => {
    carry += s
    let start = 0
    let end = carry.indexOf('\n\n')
    while (end !== -1) {
      onEvent(carry.slice(start, end))
      start = end + 2
      end = carry.indexOf('\n\n', start)
    }
    carry = carry.slice(start)
  }
}

function field(block, name) {
  const key = `${name}: `
  let from
  if (block.startsWith(key)) from = key.length
  else {
    const i = block.indexOf(`\n${key}`)
    if (i === -1) return undefined
    from = i + 1 + key.length
  }
  const to = block.indexOf('\n', from)
  return block.slice(from, to === -1 ? undefined : to)
}

function runHttpRaw() {
  const lf = makeLfLfCounter()
  let bytes = 0
  const half = exp.bytes >> 1
  let gcDone = false
  const meter = makeMeter()
  const L = w.kind === 'latency' ? makeLatency() : undefined
  const split = L ? makeSplitter((block) => L.add(field(block, 'data'), tRecv)) : undefined
  let tRecv = 0n
  const req = http.get(url, { headers: { Accept: 'text/event-stream' } }, (res) => {
    res.on('data', (chunk) => {
      if (L) {
        tRecv = now()
        split(chunk.toString('latin1'))
        if (L.n === w.events) {
          const m = meter.stop()
          res.destroy()
          report({ ok: true, ...m, ...L.result() })
        }
        return
      }
      bytes += chunk.length
      lf.bytes(chunk)
      if (!gcDone && bytes >= half) {
        gcDone = true
        meter.midGc()
      }
      if (bytes >= exp.bytes) {
        const m = meter.stop()
        res.destroy()
        report({ ok: true, bytes, lflf: lf.count, ...m })
      }
    })
    res.on('error', (e) => report({ ok: false, error: String(e) }))
  })
  req.on('error', (e) => report({ ok: false, error: String(e) }))
}

async function runFetch(withParser) {
  let createParser
  if (withParser) ({ createParser } = await import('eventsource-parser'))
  const meter = makeMeter()
  const L = w.kind === 'latency' ? makeLatency() : undefined
  let tRecv = 0n
  const N = exp.events
  const half = N >> 1
  const type = w.eventType ?? 'message'
  let n = 0
  let len = 0
  let h = 0
  let done = false
  let result
  let parser
  if (withParser) {
    parser = createParser({
      onEvent(ev) {
        if (L) return void L.add(ev.data, tRecv)
        if ((ev.event ?? 'message') !== type) return
        const d = ev.data
        n++
        len += d.length
        h = mix(h, d)
        if (n === half) meter.midGc()
        if (n === N) {
          done = true
          result = { ok: true, events: n, dataChars: len, hash: h, ...meter.stop() }
        }
      },
    })
  }
  const split = L && !withParser ? makeSplitter((block) => L.add(field(block, 'data'), tRecv)) : undefined
  let bytes = 0
  let chars = 0
  let gcDone = false
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' } })
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  while (!done) {
    const { value, done: end } = await reader.read()
    if (end) return report({ ok: false, error: `stream ended early after ${bytes} bytes` })
    if (L) tRecv = now()
    const s = decoder.decode(value, { stream: true })
    if (withParser) parser.feed(s)
    else if (L) split(s)
    else {
      bytes += value.length
      chars += s.length
      if (!gcDone && bytes >= exp.bytes >> 1) {
        gcDone = true
        meter.midGc()
      }
      if (bytes >= exp.bytes) {
        chars += decoder.decode().length
        done = true
        result = { ok: true, bytes, chars, ...meter.stop() }
      }
    }
    if (L && L.n === w.events) {
      done = true
      result = { ok: true, ...meter.stop(), ...L.result() }
    }
  }
  await reader.cancel().catch(() => {})
  report(result)
}

/**
 * The floor of what the library is mandated to be built on: fetch + streaming TextDecoder +
 * eventsource-parser (the version the library bundles) + for each event one
 * `new MessageEvent(type, { data, origin, lastEventId })` dispatched on a plain EventTarget that
 * holds the bench listener. Nothing else: no state machine, no checks, no reconnection.
 */
async function runFetchDispatch() {
  const { createParser } = await import('eventsource-parser')
  const tally = streamTally()
  const target = new EventTarget()
  let result
  target.addEventListener(w.eventType ?? 'message', (ev) => {
    result ??= tally.add(ev)
  })
  let origin = ''
  let lastEventId = ''
  const parser = createParser({
    onId(id) {
      lastEventId = id
    },
    onEvent(ev) {
      target.dispatchEvent(new MessageEvent(ev.event || 'message', { data: ev.data, origin, lastEventId }))
    },
  })
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' } })
  origin = new URL(res.url).origin
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  while (result === undefined) {
    const { value, done } = await reader.read()
    if (done) return report({ ok: false, error: `stream ended early after ${tally.count} events` })
    parser.feed(decoder.decode(value, { stream: true }))
  }
  await reader.cancel().catch(() => {})
  report(result)
}

async function runFetchLoop() {
  const N = exp.events
  let n = 0
  let len = 0
  let h = 0
  let lastEventId = ''
  let retry = 1000
  const before = snapshot()
  const meter = makeMeter()
  const snaps = makeSnapshots(meter)
  let m
  while (n < N) {
    const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-store' }
    if (lastEventId) headers['Last-Event-ID'] = lastEventId
    const res = await fetch(url, { headers })
    if (res.status !== 200) return report({ ok: false, error: `HTTP ${res.status}` })
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    const split = makeSplitter((block) => {
      const r = field(block, 'retry')
      if (r !== undefined) retry = +r
      const id = field(block, 'id')
      if (id !== undefined) lastEventId = id
      const d = field(block, 'data')
      if (d === undefined) return
      n++
      len += d.length
      h = mix(h, d)
      snaps.at(n)
      if (n === N) m = meter.stop()
    })
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      split(decoder.decode(value, { stream: true }))
    }
    if (n >= N) break
    await new Promise((resolve) => setTimeout(resolve, retry))
  }
  settleAndReport({ events: n, dataChars: len, hash: h, lastEventId, errors: 0, before, snaps: snaps.list, ...m })
}

// ---------------------------------------------------------------------------------------------

/** One small request with the transport the implementation uses, outside the timed window. */
async function warmTransport() {
  const warmUrl = new URL('/warm', url).href
  if (impl === 'http-raw') {
    await new Promise((resolve, reject) => {
      http.get(warmUrl, (res) => res.resume().on('end', resolve).on('error', reject)).on('error', reject)
    })
  } else {
    await (await fetch(warmUrl)).text()
  }
}

async function main() {
  await warmTransport()
  if (impl === 'ours-iterate') {
    const { ES } = await loadEventSource()
    await runEventSourceIterate(ES)
  } else if (impl === 'await-floor') {
    const { ES } = await loadEventSource()
    await runAwaitFloor(ES)
  } else if (impl === 'ours' || impl === 'eventsource') {
    const { ES, churnOptions } = await loadEventSource()
    if (w.kind === 'stream') runEventSourceStream(ES)
    else if (w.kind === 'idle') await runIdle(idleEventSource(ES))
    else if (w.kind === 'latency') runEventSourceLatency(ES)
    else runEventSourceChurn(ES, churnOptions)
  } else if (impl === 'http-raw') runHttpRaw()
  else if (impl === 'fetch-text') await runFetch(false)
  else if (impl === 'fetch-parser') await runFetch(true)
  else if (impl === 'fetch-dispatch') await runFetchDispatch()
  else if (impl === 'fetch-loop') await runFetchLoop()
  else if (impl === 'fetch-idle') await runIdle(idleFetch())
  else throw new Error(`unknown implementation ${impl}`)
}

main().catch((e) => report({ ok: false, error: String(e?.stack ?? e) }))
watchdog.unref?.call(watchdog) // the client's own work keeps it alive; the watchdog must not
