#!/usr/bin/env node
/**
 * Soak test (issue 5): keeps one EventSource on a loopback fault server for a while, with random
 * faults — TCP cuts and resets at random bytes, graceful ends mid-event, one byte at a time,
 * stalls (dropped by readTimeout), bodies that never start, 500/502/503/429 with and without
 * Retry-After, redirects and redirect loops, wrong content types, endless lines (maxEventSize),
 * resets before the headers. The server honours Last-Event-ID, so every event must arrive exactly
 * once and in order. Prints what it saw, memory at start and end, and one verdict line last.
 *
 *   npm run soak                      # 30 seconds
 *   npm run soak -- --minutes=10      # longer
 *   npm run soak -- --seed=42         # replay a run's faults
 *
 * Runs today's src (bundled with test/helpers/fault-server.ts by esbuild), in a process started
 * with --expose-gc so that heap figures are measured after a full collection.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

if (typeof globalThis.gc !== 'function') {
  // Run again with gc() available; pass the exit code through.
  const result = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  process.exit(result.status ?? 1)
}

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=')
    return [key, value]
  }),
)
const minutes = Number(args.minutes ?? 0.5)
const seed = Number(args.seed ?? Math.floor(Math.random() * 2 ** 31))
const eventsPerSecond = Number(args.rate ?? 2000)
if (!(minutes > 0) || !Number.isFinite(seed) || !(eventsPerSecond > 0)) {
  console.error('usage: npm run soak -- [--minutes=0.5] [--seed=N] [--rate=2000]')
  process.exit(2)
}

const { buildSync } = createRequire(join(root, 'package.json'))('esbuild')
const built = buildSync({
  stdin: {
    contents: "export * from './src/index.ts'\nexport * from './test/helpers/fault-server.ts'\n",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['cross-fetch'],
  write: false,
})
const bundle = join(mkdtempSync(join(tmpdir(), 'iso-es-soak-')), 'soak-bundle.cjs')
writeFileSync(bundle, built.outputFiles[0].text)
const lib = createRequire(join(root, 'package.json'))(bundle)
const { EventSource, startFaultServer, numberedEvent, numberedData, numberedType, seededRandom } = lib

const random = seededRandom(seed)
const pick = (weights) => {
  const total = weights.reduce((sum, [weight]) => sum + weight, 0)
  let r = random() * total
  for (const [weight, value] of weights) {
    r -= weight
    if (r < 0) return value
  }
  return weights[weights.length - 1][1]
}
const between = (low, high) => low + Math.floor(random() * (high - low + 1))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const READ_TIMEOUT = 500
const MAX_EVENT_SIZE = 64 * 1024
const BATCH_MS = 20
const perBatch = Math.max(1, Math.round((eventsPerSecond * BATCH_MS) / 1000))

/** Faults, by weight. Each returns what one response does. */
const FAULTS = [
  [30, 'cut'], // a TCP FIN mid-body, at a random byte of a random event
  [10, 'reset'], // a TCP reset mid-body
  [10, 'end'], // the server ends the response mid-event
  [6, 'bytewise'], // a stretch one byte at a time, then a cut
  [6, 'stall'], // silence mid-event until readTimeout drops it
  [3, 'no-body'], // headers and then nothing
  [8, 'status'], // 500/502/503/429, with or without Retry-After
  [8, 'redirect'], // 301/302/307/308 to the alias, which streams
  [1, 'redirect-loop'], // fetch gives up after 20 redirects
  [3, 'content-type'], // a 200 that is not an event stream
  [3, 'endless-line'], // a data line that never ends: maxEventSize
  [3, 'reset-before-headers'],
  [9, 'healthy'], // a long healthy stretch, then a cut
]

const stats = {
  events: 0,
  duplicates: 0,
  gaps: 0,
  corrupt: 0,
  reconnections: 0,
  closedUnexpectedly: 0,
  errorsByKind: {},
  faults: {},
  requests: 0,
}

function byteOffsetInside(text) {
  return between(1, Buffer.byteLength(text) - 1)
}

/** Streams numbered events from `from + 1` until the planned fault, or until the client leaves. */
async function streamEvents(ctx, from, fault) {
  ctx.head()
  if (!(await ctx.send('retry: 5\n\n'))) return
  let id = from + 1
  // How many events go out whole before the fault strikes.
  const whole = fault === 'healthy' ? between(500, 4000) : between(0, 300)
  let sent = 0
  while (sent < whole) {
    let batch = ''
    for (let i = 0; i < perBatch && sent < whole; i++, sent++) batch += numberedEvent(id++)
    if (!(await ctx.send(batch)) || !(await ctx.pause(BATCH_MS))) return
  }
  const next = numberedEvent(id)
  const cutAt = byteOffsetInside(next)
  switch (fault) {
    case 'bytewise': {
      const stretch = Buffer.from(numberedEvent(id) + numberedEvent(id + 1) + numberedEvent(id + 2))
      const upTo = between(1, stretch.length - 1)
      for (let i = 0; i < upTo; i++) if (!(await ctx.send(stretch.subarray(i, i + 1))) || !(await ctx.pause(1))) return
      ctx.finish('cut')
      return
    }
    case 'stall':
      await ctx.send(Buffer.from(next).subarray(0, cutAt))
      return // hold: the client's readTimeout ends it
    case 'endless-line': {
      if (!(await ctx.send('data: '))) return
      const chunk = 'z'.repeat(16 * 1024)
      while (await ctx.send(chunk)) {
        // until the client gives up at maxEventSize
      }
      return
    }
    default: {
      if (!(await ctx.send(Buffer.from(next).subarray(0, cutAt)))) return
      ctx.finish(fault === 'reset' ? 'reset' : fault === 'end' ? 'end' : 'cut')
    }
  }
}

const server = await startFaultServer({}, { record: false })
let lastDispatched = 0
const serve = async (ctx) => {
  stats.requests++
  const header = ctx.request.lastEventId
  const from = header === undefined ? 0 : Number.parseInt(header, 10)
  // The server's view must match the client's: it resumes after the last event dispatched.
  if (from !== lastDispatched) stats.resumeMismatches = (stats.resumeMismatches ?? 0) + 1
  const fault = pick(FAULTS)
  stats.faults[fault] = (stats.faults[fault] ?? 0) + 1
  switch (fault) {
    case 'status': {
      const code = pick([
        [1, 500],
        [1, 502],
        [1, 503],
        [1, 429],
      ])
      const headers = { 'content-type': 'text/plain' }
      if (random() < 0.3 && (code === 503 || code === 429)) headers['retry-after'] = String(between(0, 1))
      ctx.res.writeHead(code, headers)
      ctx.res.end('failing on purpose')
      return
    }
    case 'redirect':
      ctx.res.writeHead(
        pick([
          [1, 301],
          [1, 302],
          [1, 307],
          [1, 308],
        ]),
        { location: '/alias' },
      )
      ctx.res.end()
      return
    case 'redirect-loop':
      ctx.res.writeHead(302, { location: '/loop' })
      ctx.res.end()
      return
    case 'content-type':
      ctx.res.writeHead(200, { 'content-type': 'text/plain' })
      ctx.res.end(numberedEvent(from + 1))
      return
    case 'reset-before-headers':
      ctx.socket.resetAndDestroy()
      return
    case 'no-body':
      ctx.head()
      return
    default:
      await streamEvents(ctx, from, fault)
  }
}
server.route('/soak', serve)
server.route('/alias', async (ctx) => {
  const from = ctx.request.lastEventId === undefined ? 0 : Number.parseInt(ctx.request.lastEventId, 10)
  await streamEvents(ctx, from, pick(FAULTS.filter(([, name]) => ['cut', 'reset', 'end', 'healthy'].includes(name))))
})
server.route('/loop', (ctx) => {
  ctx.res.writeHead(302, { location: '/loop' })
  ctx.res.end()
})

async function heap() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage()
}
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

const source = new EventSource(server.url('/soak'), {
  readTimeout: READ_TIMEOUT,
  maxEventSize: MAX_EVENT_SIZE,
  // Retry whatever happens: the soak is about surviving, not about the default policy.
  shouldRetry: () => true,
})
const onMessage = (event) => {
  const id = Number(event.lastEventId)
  const expected = lastDispatched + 1
  if (id < expected) stats.duplicates++
  else if (id > expected) stats.gaps += id - expected
  if (event.data !== numberedData(id) || event.type !== numberedType(id)) stats.corrupt++
  if (id > lastDispatched) lastDispatched = id
  stats.events++
}
source.addEventListener('message', onMessage)
source.addEventListener('tick', onMessage)
source.addEventListener('error', (event) => {
  stats.errorsByKind[event.kind] = (stats.errorsByKind[event.kind] ?? 0) + 1
  if (event.retryDelay !== undefined) stats.reconnections++
  else stats.closedUnexpectedly++
})

const started = Date.now()
const durationMs = minutes * 60_000
console.log(
  `soak: ${minutes} min, seed ${seed}, ~${eventsPerSecond} events/s, readTimeout ${READ_TIMEOUT} ms, maxEventSize ${MAX_EVENT_SIZE}`,
)
console.log(`node ${process.version}, pid ${process.pid}`)

// Let the first connections settle before the memory baseline.
await sleep(Math.min(5000, durationMs / 10))
const memoryStart = await heap()
const eventsAtStart = stats.events
console.log(`memory at start: heap ${mib(memoryStart.heapUsed)}, rss ${mib(memoryStart.rss)} (after ${stats.events} events)`)

const progressEvery = Math.max(5000, Math.min(60_000, durationMs / 10))
let nextProgress = Date.now() + progressEvery
while (Date.now() - started < durationMs) {
  await sleep(Math.min(1000, Math.max(10, started + durationMs - Date.now())))
  if (Date.now() >= nextProgress) {
    nextProgress += progressEvery
    const { heapUsed } = process.memoryUsage()
    const elapsed = ((Date.now() - started) / 1000).toFixed(0)
    console.log(
      `  ${elapsed.padStart(5)} s: ${stats.events} events, ${stats.reconnections} reconnections, ${stats.duplicates} duplicates, ${stats.gaps} gaps, heap ${mib(heapUsed)}`,
    )
  }
}

const readyStateAtEnd = source.readyState
const memoryEnd = await heap()
source.close()
await sleep(200)
await server.close()
await sleep(100)
const leftover = process.getActiveResourcesInfo().filter((type) => type !== 'TTYWrap' && type !== 'PipeWrap')

const seconds = (Date.now() - started) / 1000
console.log('')
console.log(`duration:            ${seconds.toFixed(1)} s`)
console.log(`events received:     ${stats.events} (last id ${lastDispatched}, ${(stats.events / seconds).toFixed(0)}/s)`)
console.log(`requests:            ${stats.requests}`)
console.log(`reconnections:       ${stats.reconnections}`)
console.log(`duplicates:          ${stats.duplicates}`)
console.log(`gaps:                ${stats.gaps}`)
console.log(`corrupt payloads:    ${stats.corrupt}`)
console.log(`resume mismatches:   ${stats.resumeMismatches ?? 0}`)
console.log(`failed (closed):     ${stats.closedUnexpectedly}`)
console.log(`errors by kind:      ${JSON.stringify(stats.errorsByKind)}`)
console.log(`faults served:       ${JSON.stringify(stats.faults)}`)
console.log(`memory at start:     heap ${mib(memoryStart.heapUsed)}, rss ${mib(memoryStart.rss)}`)
console.log(`memory at end:       heap ${mib(memoryEnd.heapUsed)}, rss ${mib(memoryEnd.rss)} (after gc)`)
console.log(`handles after close: ${leftover.length === 0 ? 'none' : leftover.join(', ')}`)

const heapGrowth = memoryEnd.heapUsed - memoryStart.heapUsed
const problems = []
if (stats.duplicates > 0) problems.push(`${stats.duplicates} duplicates`)
if (stats.gaps > 0) problems.push(`${stats.gaps} missing events`)
if (stats.corrupt > 0) problems.push(`${stats.corrupt} corrupt payloads`)
if ((stats.resumeMismatches ?? 0) > 0) problems.push(`${stats.resumeMismatches} requests resumed from the wrong id`)
if (stats.closedUnexpectedly > 0 || readyStateAtEnd === 2) problems.push('the source closed')
if (stats.events - eventsAtStart <= 0) problems.push('no events after the start')
if (stats.reconnections === 0) problems.push('no faults were survived')
if (heapGrowth > 16 * 1024 * 1024) problems.push(`heap grew by ${mib(heapGrowth)}`)
if (leftover.length > 0) problems.push(`handles left after close: ${leftover.join(', ')}`)
console.log(problems.length === 0 ? 'VERDICT: PASS' : `VERDICT: FAIL (${problems.join('; ')})`)
process.exitCode = problems.length === 0 ? 0 : 1
