#!/usr/bin/env node
// `npm run bench`: this library against the `eventsource` package and against the limits of the
// machine (raw node:http, fetch + TextDecoder, fetch + TextDecoder + eventsource-parser), in one
// run. See bench/README.md. Options:
//   --quick             fewer events and 1 run, no warm-up (a smoke run)
//   --only=a,b          workloads: small, large (= large-ascii + large-utf8 + large-mixed),
//                       large-ascii, large-utf8, large-mixed, multiline, multiline-mixed,
//                       latency, churn, idle
//   --runs=N            measured runs per implementation (default 7; quick 1; browser 9)
//   --impls=a,b         only these implementations (default: all of the workload's)
//   --no-build          do not rebuild dist/ even if src/ is newer
//   --ours=PATH         measure another build as "ours" (e.g. a copy of dist/ from before a change)
//   --profile[=IMPL:WORKLOAD]  no benchmark: one run of IMPL (default ours:small) under
//                       node --cpu-prof, then the top self-time functions
//   --top=N             rows of the profile summary (default 25)
//   --json=FILE         also write every raw result to FILE
import { fork, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { BROWSER_IMPL_NOTES, runBrowserBench, verifyBrowserRun } from './browser.mjs'
import { IMPL_NOTES, WORKLOADS, resolveWorkload } from './lib/workloads.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')
const DIST_BROWSER = join(ROOT, 'dist', 'eventsource.min.js')
const SIZE_TARGET = 7 * 1024
/**
 * Heap slope (bytes per churn cycle) that still counts as noise. Node 20's fetch itself grows a few
 * hundred bytes per connection for the first thousands of connections (seen with a bare fetch loop),
 * so ours is held to the raw fetch loop's slope × 1.25 plus this.
 */
const HEAP_SLOPE_NOISE = 64

// ---------------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2)
const opt = (name) => {
  const a = args.find((x) => x === `--${name}` || x.startsWith(`--${name}=`))
  if (a === undefined) return undefined
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : true
}
for (const a of args) {
  if (!/^--(quick|only|runs|impls|no-build|ours|profile|top|json)(=.*)?$/.test(a)) {
    console.error(`unknown option ${a}; see the header of bench/run.mjs`)
    process.exit(2)
  }
}
const DIST_INDEX = typeof opt('ours') === 'string' ? resolve(opt('ours')) : join(ROOT, 'dist', 'index.mjs')
const QUICK = !!opt('quick')
const RUNS = opt('runs') ? Number.parseInt(opt('runs'), 10) : QUICK ? 1 : 7
if (!(RUNS >= 1)) {
  console.error('--runs=N needs N >= 1')
  process.exit(2)
}
/** An implementation that failed this many runs of a workload is not run again on it. */
const MAX_FAILURES = 2
/** A run that would start after this long is skipped, so a broken build cannot keep the bench going for hours. */
const TOTAL_BUDGET_MS = 45 * 60_000
const WARMUP = !QUICK
const RUN_TIMEOUT_MS = QUICK ? 60_000 : 120_000
let ONLY = [...Object.keys(WORKLOADS), 'browser']
if (typeof opt('only') === 'string') {
  ONLY = []
  for (const name of opt('only').split(',').filter(Boolean)) {
    if (name === 'large') ONLY.push('large-ascii', 'large-utf8', 'large-mixed')
    else if (WORKLOADS[name] || name === 'browser') ONLY.push(name)
    else {
      console.error(`unknown workload ${name}; known: large, ${Object.keys(WORKLOADS).join(', ')}, browser`)
      process.exit(2)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Build: dist/ is what we measure, so rebuild it when src/ changed since.

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/**
 * Copies dist/ to bench/.snapshot/ and measures the copy, so that a build started by someone else
 * during the run (tests rebuild dist/) cannot change or remove what is measured. Bare imports
 * (cross-fetch) still resolve from the repository's node_modules.
 */
const SNAPSHOT = join(HERE, '.snapshot')
function snapshotDist() {
  if (opt('ours') || !existsSync(DIST_INDEX)) return DIST_INDEX
  rmSync(SNAPSHOT, { recursive: true, force: true })
  cpSync(join(ROOT, 'dist'), join(SNAPSHOT, 'dist'), { recursive: true })
  return join(SNAPSHOT, 'dist', relative(join(ROOT, 'dist'), DIST_INDEX))
}
let oursModule = DIST_INDEX

function ensureBuilt() {
  if (opt('no-build') || opt('ours')) return
  const srcNewest = Math.max(
    newestMtime(join(ROOT, 'src')),
    existsSync(join(ROOT, 'rollup.config.mjs')) ? statSync(join(ROOT, 'rollup.config.mjs')).mtimeMs : 0,
  )
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= srcNewest) return
  console.log(existsSync(DIST_INDEX) ? 'src/ is newer than dist/: npm run build' : 'no dist/: npm run build')
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 })
  if (r.status !== 0) console.log(`npm run build failed (status ${r.status}); measuring whatever dist/ holds`)
}

// ---------------------------------------------------------------------------------------------
// Child processes

function startServer(w) {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'server.mjs'), [JSON.stringify({ workload: w.name, quick: QUICK })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server for ${w.name} not ready after 120 s`))
    }, 120_000)
    child.once('message', (m) => {
      clearTimeout(timer)
      resolve({ child, port: m.port, expected: m.expected, buildMs: m.buildMs })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server for ${w.name} exited with ${code}`))
    })
  })
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve()
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 5_000)
    server.child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    server.child.send('stop')
  })
}

function runClient(impl, w, server, extraExecArgv = []) {
  const path = w.kind === 'churn' ? '/churn' : `/${w.name}`
  const cfg = {
    impl,
    w,
    url: `http://127.0.0.1:${server.port}${path}`,
    expected: server.expected,
    oursModule: pathToFileURL(oursModule).href,
    timeoutMs: RUN_TIMEOUT_MS - 5_000,
  }
  return new Promise((resolve) => {
    let stderr = ''
    let result
    const child = fork(join(HERE, 'client.mjs'), [JSON.stringify(cfg)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: ['--expose-gc', ...extraExecArgv],
    })
    child.stderr.on('data', (d) => {
      if (stderr.length < 20_000) stderr += d
    })
    child.on('message', (m) => {
      result = m
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      result ??= { ok: false, error: `killed after ${RUN_TIMEOUT_MS} ms` }
    }, RUN_TIMEOUT_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      result ??= { ok: false, error: `exited (${code ?? signal}) without a result` }
      if (!result.ok && stderr) result.error += `\n${stderr.trim().split('\n').slice(-8).join('\n')}`
      resolve({ impl, workload: w.name, ...result })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Verification: counts and checksums against what the server built.

/** What each implementation's run is checked against, per workload kind. */
function checkNote(impl, kind) {
  if (kind === 'idle') return 'every source got its first event'
  if (kind === 'latency') return 'count + checksum of SEQ, in order'
  if (impl === 'http-raw') return 'bytes + LF LF count'
  if (impl === 'fetch-text') return 'bytes + decoded chars (no event count)'
  if (kind === 'churn') return 'count + data checksum + Last-Event-ID'
  return `count + data checksum${impl === 'fetch-parser' ? '' : ' (+ lastEventId where sent)'}`
}

function verify(r, exp, w) {
  if (!r.ok) return r.error
  const bad = []
  const eq = (what, got, want) => {
    if (got !== want) bad.push(`${what} ${got} ≠ ${want}`)
  }
  if (w.kind === 'latency') {
    eq('events', r.events, exp.events)
    eq('checksum', r.hash, exp.hash)
    eq('out-of-order', r.outOfOrder, 0)
  } else if (w.kind === 'idle') {
    eq('sources open', r.events, exp.events)
  } else if (r.impl === 'http-raw' || r.impl === 'fetch-text') {
    eq('bytes', r.bytes, exp.bytes)
    if (r.impl === 'http-raw') eq('LF LF', r.lflf, exp.events)
    else eq('chars', r.chars, exp.chars)
  } else {
    eq('events', r.events, exp.events)
    eq('data chars', r.dataChars, exp.dataChars)
    eq('checksum', r.hash, exp.hash)
    if (exp.lastEventId !== undefined && r.lastEventId !== undefined) eq('lastEventId', r.lastEventId, exp.lastEventId)
    if (w.kind === 'churn' && r.impl !== 'fetch-loop') eq('lastEventId', r.lastEventId, exp.lastEventId)
  }
  return bad.length ? bad.join('; ') : undefined
}

// ---------------------------------------------------------------------------------------------
// Statistics and metrics

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((a, p) => a + p[0], 0) / n
  const my = points.reduce((a, p) => a + p[1], 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return num / den
}

/** The numbers of one run, by workload kind. */
function metrics(r, exp, w) {
  const sec = r.wallMs / 1000
  if (w.kind === 'stream') {
    return {
      eventsPerSec: exp.events / sec,
      mbPerSec: exp.bytes / 1e6 / sec,
      cpuPerEvent: r.cpuUs / exp.events,
      heapMid: r.heapMid / 1048576,
      heapStream: (r.heapMid - r.heapBase) / 1024,
      heapPeak: r.heapPeak / 1048576,
    }
  }
  if (w.kind === 'idle') {
    const m = {}
    for (const p of r.points) m[`kbPerSource${p.sources}`] = p.heap / p.sources / 1024
    return m
  }
  if (w.kind === 'latency') {
    return { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, cpuPerEvent: r.cpuUs / exp.events }
  }
  const first = r.snaps[0]
  const last = r.snaps[r.snaps.length - 1]
  return {
    cyclesPerSec: exp.events / sec,
    msPerCycle: r.wallMs / exp.events,
    cpuPerCycle: r.cpuUs / exp.events,
    heapGrowthKB: (last.heap - first.heap) / 1024,
    heapSlope: slope(r.snaps.map((x) => [x.n, x.heap])),
    handlesSnap: first.handles,
    handlesEnd: last.handles,
    handlesMax: Math.max(...r.snaps.map((x) => x.handles)),
    socketsSnap: first.sockets,
    socketsEnd: last.sockets,
    socketsMax: Math.max(...r.snaps.map((x) => x.sockets)),
    handlesBefore: r.before.handles,
    handlesAfter: r.after.handles,
    socketsBefore: r.before.sockets,
    socketsAfter: r.after.sockets,
  }
}

function summarize(runs, impl) {
  const good = runs.filter((r) => r.impl === impl && r.ok && !r.verifyError)
  const all = runs.filter((r) => r.impl === impl)
  const keys = good.length ? Object.keys(good[0].m) : []
  const med = {}
  const spread = {}
  for (const k of keys) {
    const xs = good.map((r) => r.m[k])
    med[k] = median(xs)
    spread[k] = med[k] ? (Math.max(...xs) - Math.min(...xs)) / Math.abs(med[k]) : 0
  }
  return { n: good.length, total: all.length, med, spread, failures: all.filter((r) => !r.ok || r.verifyError) }
}

// ---------------------------------------------------------------------------------------------
// Printing

function fmt(x, digits = 0) {
  if (x === undefined || Number.isNaN(x)) return 'n/a'
  if (!Number.isFinite(x)) return String(x)
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A plain-text table; columns listed in `left` are left-aligned, the others right-aligned. */
function table(headers, rows, left = [0]) {
  const widths = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    cells
      .map((c, i) => (left.includes(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
      .trimEnd()
  const out = [line(headers), widths.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)]
  return out.map((l) => `  ${l}`).join('\n')
}

function printWorkload(w, server, summaries) {
  const exp = server.expected
  console.log()
  let size = ''
  if (exp.bytes) size = `, ${fmt(exp.bytes / 1e6, 1)} MB`
  console.log(`## ${w.name}: ${fmt(exp.events)} ${w.kind === 'churn' ? 'cycles' : 'events'}${size} — ${w.describe}`)
  const rows = []
  let headers
  let left = [0, 9]
  for (const [impl, s] of summaries) {
    const m = s.med
    const runs = `${s.n}/${s.total}`
    if (w.kind === 'stream') {
      headers = ['impl', 'events/s', 'MB/s', 'spread', 'CPU µs/ev', 'heap MB', 'stream KB', 'peak MB', 'ok runs', 'checked by']
      rows.push([
        impl,
        fmt(m.eventsPerSec),
        fmt(m.mbPerSec, 1),
        `±${fmt((s.spread.eventsPerSec ?? NaN) * 50, 0)}%`,
        fmt(m.cpuPerEvent, 2),
        fmt(m.heapMid, 2),
        fmt(m.heapStream, 0),
        fmt(m.heapPeak, 1),
        runs,
        checkNote(impl, w.kind),
      ])
    } else if (w.kind === 'idle') {
      headers = ['impl', ...w.sources.map((n) => `KB/source at ${fmt(n)}`), 'ok runs', 'checked by']
      left = [0, w.sources.length + 2]
      rows.push([impl, ...w.sources.map((n) => fmt(m[`kbPerSource${n}`], 1)), runs, checkNote(impl, w.kind)])
    } else if (w.kind === 'latency') {
      headers = ['impl', 'p50 µs', 'p99 µs', 'max µs', 'CPU µs/ev', 'ok runs', 'checked by']
      left = [0, 6]
      rows.push([impl, fmt(m.p50), fmt(m.p99), fmt(m.max), fmt(m.cpuPerEvent, 1), runs, checkNote(impl, w.kind)])
    } else {
      headers = [
        'impl',
        'cycles/s',
        'ms/cycle',
        'CPU µs/cycle',
        `heap KB #${w.snapshotAt}→#${w.events}`,
        'heap B/cycle',
        'handles (max)',
        'sockets (max)',
        'handles open→closed',
        'sockets',
        'ok runs',
      ]
      rows.push([
        impl,
        fmt(m.cyclesPerSec),
        fmt(m.msPerCycle, 2),
        fmt(m.cpuPerCycle),
        `${m.heapGrowthKB >= 0 ? '+' : ''}${fmt(m.heapGrowthKB, 1)}`,
        fmt(m.heapSlope, 0),
        `${fmt(m.handlesSnap)}→${fmt(m.handlesEnd)} (${fmt(m.handlesMax)})`,
        `${fmt(m.socketsSnap)}→${fmt(m.socketsEnd)} (${fmt(m.socketsMax)})`,
        `${fmt(m.handlesBefore)}→${fmt(m.handlesAfter)}`,
        `${fmt(m.socketsBefore)}→${fmt(m.socketsAfter)}`,
        runs,
      ])
    }
  }
  console.log(table(headers, rows, left))
  for (const [impl, s] of summaries) {
    for (const f of s.failures) console.log(`  ! ${impl} run failed: ${(f.verifyError ?? f.error ?? '').split('\n').join('\n    ')}`)
  }
  if (w.kind === 'stream') {
    console.log('  (heap MB: heapUsed after a full gc at the middle of the stream; stream KB: that minus heapUsed after gc')
    console.log('   just before the source was created, i.e. what the open stream holds; peak: sampled every 20 ms, no gc)')
  }
  if (w.kind === 'idle')
    console.log("  (heapUsed after gc with every source open and waiting, minus heapUsed before the first one; undici's sockets included)")
  if (w.kind === 'latency')
    console.log(`  (first ${w.skip} events of each run left out; limits time the chunk's arrival, the libraries their listener)`)
  if (w.kind === 'churn') {
    console.log(
      `  (medians; snapshots after gc at cycle #${w.snapshotAt} and every ${w.snapshotEvery} cycles to #${w.events}, taken in the`,
    )
    console.log('   message listener and left out of the timing; B/cycle is the least-squares slope of heapUsed;')
    console.log('   handles and sockets from process.getActiveResourcesInfo(); "open→closed" is before the source was')
    console.log('   created → after close() and a bounded wait)')
  }
}

/**
 * ours (or `base`) / other for one metric: the median over rounds of the ratio of the two runs of
 * the same round (they ran seconds apart), which cancels load that changes between rounds on a
 * shared machine better than a ratio of medians does.
 */
function pairedRatio(result, other, key, base = 'ours') {
  if (!result) return NaN
  const ratios = []
  for (const a of result.runs) {
    if (a.impl !== base || !a.m) continue
    const b = result.runs.find((x) => x.impl === other && x.round === a.round && x.m)
    if (b) ratios.push(a.m[key] / b.m[key])
  }
  return median(ratios)
}

/** The main ratios of ours to each other implementation. */
function ratioRows(results) {
  const rows = []
  for (const x of results) {
    const { w, summaries } = x
    const ours = summaries.get('ours')
    if (!ours?.n) continue
    for (const [impl, s] of summaries) {
      if (impl === 'ours' || !s.n) continue
      const r = (k) => pairedRatio(x, impl, k)
      if (w.kind === 'stream')
        rows.push([
          w.name,
          impl,
          fmt(r('eventsPerSec'), 2),
          fmt(r('cpuPerEvent'), 2),
          fmt(r('heapMid'), 2),
          fmt(r('heapStream'), 2),
          fmt(r('heapPeak'), 2),
        ])
      else if (w.kind === 'idle')
        rows.push([w.name, impl, '', '', w.sources.map((n) => `${fmt(n)}: ${fmt(r(`kbPerSource${n}`), 2)}`).join('  '), '', ''])
      else if (w.kind === 'latency')
        rows.push([w.name, impl, `p50 ${fmt(r('p50'), 2)}  p99 ${fmt(r('p99'), 2)}`, fmt(r('cpuPerEvent'), 2), '', '', ''])
      else rows.push([w.name, impl, fmt(r('cyclesPerSec'), 2), fmt(r('cpuPerCycle'), 2), '', '', ''])
    }
  }
  return rows
}

/** The events/s each stream workload needs, as ours ÷ the `eventsource` package. */
const STREAM_NEEDS = { small: 1.15, 'large-ascii': 1.2, 'large-utf8': 1.2, 'large-mixed': 1.2, multiline: 1, 'multiline-mixed': 1 }

/**
 * The floor of the mandated parts (fetch-dispatch) against the peer and against ours: where the
 * floor itself is below a target, the target is out of reach with those parts; ours ÷ floor is
 * what our own code costs on top of them.
 */
function floorRows(results) {
  const rows = []
  for (const x of results) {
    if (x.w.kind !== 'stream' || !x.summaries.get('fetch-dispatch')?.n) continue
    const floor = (other, key) => pairedRatio(x, other, key, 'fetch-dispatch')
    const ours = (key) => pairedRatio(x, 'fetch-dispatch', key)
    const need = STREAM_NEEDS[x.w.name]
    const f = floor('eventsource', 'eventsPerSec')
    rows.push([
      x.w.name,
      fmt(f, 2),
      fmt(floor('eventsource', 'cpuPerEvent'), 2),
      need === undefined ? '' : `≥ ${fmt(need, 2)}${f < need ? ' CLASH' : ''}`,
      fmt(ours('eventsPerSec'), 2),
      fmt(ours('cpuPerEvent'), 2),
      fmt(pairedRatio(x, 'fetch-parser', 'eventsPerSec', 'fetch-dispatch'), 2),
    ])
  }
  return rows
}

function targetRows(results, size) {
  const rows = []
  const get = (name) => results.find((x) => x.w.name === name)
  const add = (label, value, need, pass) => rows.push([label, value, need, value === 'n/a' ? 'n/a' : pass ? 'PASS' : 'FAIL'])
  const ratio = (name, other, key) => pairedRatio(get(name), other, key)
  // Against the `eventsource` package: never slower on any stream; faster on small and 64 KiB events.
  for (const [name, need] of Object.entries(STREAM_NEEDS)) {
    if (!get(name)) continue
    const r = ratio(name, 'eventsource', 'eventsPerSec')
    add(`${name}: events/s ours / eventsource`, fmt(r, 2), `≥ ${fmt(need, 2)}`, r >= need)
    const c = ratio(name, 'eventsource', 'cpuPerEvent')
    add(`${name}: CPU per event ours / eventsource`, fmt(c, 2), '≤ 1.00', c <= 1)
    // The floor the mandated parts set (parser + MessageEvent + dispatchEvent): when even it does not
    // reach the target, the target clashes with the mandate rather than with our own code.
    const f = pairedRatio(get(name), 'eventsource', 'eventsPerSec', 'fetch-dispatch')
    if (f < need) rows.push([`${name}: floor fetch-dispatch / eventsource`, fmt(f, 2), `≥ ${fmt(need, 2)}`, 'CLASH'])
  }
  // `for await` against listeners: the language's per-item await is a floor no iterator avoids, so
  // the library's own iterator is held to that floor (await-floor: a listener + a bare queue).
  for (const name of ['small', 'large-ascii', 'large-utf8', 'large-mixed', 'multiline', 'multiline-mixed']) {
    if (!get(name)?.summaries.get('ours-iterate')?.n) continue
    const listeners = pairedRatio(get(name), 'ours', 'eventsPerSec', 'ours-iterate')
    add(`${name}: events/s for await / listeners`, fmt(listeners, 2), '≥ 1.00', listeners >= 1)
    const floor = pairedRatio(get(name), 'await-floor', 'eventsPerSec', 'ours-iterate')
    add(`${name}: events/s for await / await-floor limit`, fmt(floor, 2), '≥ 0.95', floor >= 0.95)
  }
  const idle = get('idle')
  if (idle) {
    for (const n of idle.w.sources) {
      const r = ratio('idle', 'eventsource', `kbPerSource${n}`)
      add(`idle: heap per source at ${fmt(n)} ours / eventsource`, fmt(r, 2), '≤ 1.00', r <= 1)
    }
  }
  if (get('latency')) {
    const r = ratio('latency', 'fetch-text', 'p99')
    add('latency: p99 ours / fetch-text limit', fmt(r, 2), '≤ 1.10', r <= 1.1)
  }
  const churn = get('churn')
  if (churn) {
    const r = ratio('churn', 'fetch-loop', 'cyclesPerSec')
    add('churn: cycles/s ours / fetch-loop limit', fmt(r, 2), '≥ 1.00', r >= 1)
    const o = churn.summaries.get('ours')
    const lim = churn.summaries.get('fetch-loop')
    if (o?.n) {
      const ourRuns = churn.runs.filter((r) => r.impl === 'ours' && r.m)
      const worst = (k) => Math.max(...ourRuns.map((r) => r.m[k]))
      const allowed = Math.max(0, lim?.n ? lim.med.heapSlope : 0) * 1.25 + HEAP_SLOPE_NOISE
      const g = o.med.heapSlope
      add(
        `churn: ours heap slope #${churn.w.snapshotAt}→#${churn.w.events} (B/cycle)`,
        fmt(g, 0),
        `≤ ${fmt(allowed, 0)} (fetch-loop's × 1.25 + ${HEAP_SLOPE_NOISE})`,
        g <= allowed,
      )
      const hs = Math.max(worst('handlesEnd'), worst('handlesMax')) - o.med.handlesSnap
      add(`churn: ours handle growth #${churn.w.snapshotAt}→#${churn.w.events} (worst run)`, fmt(hs), '≤ 0', hs <= 0)
      const ss = Math.max(worst('socketsEnd'), worst('socketsMax')) - o.med.socketsSnap
      add(`churn: ours socket growth #${churn.w.snapshotAt}→#${churn.w.events} (worst run)`, fmt(ss), '≤ 0', ss <= 0)
      const ha = worst('handlesAfter') - o.med.handlesBefore
      add('churn: ours handles left after close (worst run)', fmt(ha), '≤ 0', ha <= 0)
      const sa = worst('socketsAfter') - o.med.socketsBefore
      add('churn: ours sockets left after close (worst run)', fmt(sa), '≤ 0', sa <= 0)
    } else add('churn: growth', 'n/a', '', false)
  }
  for (const name of ['small', 'large-ascii', 'large-utf8', 'multiline']) {
    if (!get(name)) continue
    const r = ratio(name, 'eventsource', 'heapStream')
    add(`${name}: stream heap ours / eventsource`, fmt(r, 3), '≤ 1.000', r <= 1)
  }
  if (size === undefined) add('browser script min+gz (bytes)', 'n/a', `≤ ${SIZE_TARGET}`, false)
  else add('browser script min+gz (bytes)', fmt(size.gzip), `≤ ${SIZE_TARGET} (7 KiB)`, size.gzip <= SIZE_TARGET)
  return rows
}

function browserSize() {
  if (!existsSync(DIST_BROWSER)) return undefined
  const bytes = readFileSync(DIST_BROWSER)
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

// ---------------------------------------------------------------------------------------------
// Browser section (bench/browser.mjs): headless Chromium, one page, no devtools client attached.

/** Measured rounds in the browser (each round runs every implementation on every workload). */
const BROWSER_RUNS = opt('runs') ? RUNS : QUICK ? 1 : 9

async function browserSection() {
  const script = join(dirname(oursModule), 'eventsource.min.js')
  console.log(
    `\n## browser: headless Chromium, one page, ${BROWSER_RUNS} round(s) after a warm-up, each round starting with the next implementation`,
  )
  for (const [k, v] of Object.entries(BROWSER_IMPL_NOTES)) console.log(`  ${k.padEnd(19)} ${v}`)
  const out = await runBrowserBench({ quick: QUICK, runs: BROWSER_RUNS, script })
  if (out.skipped) {
    console.log(`  skipped: ${out.skipped}`)
    return undefined
  }
  console.log(`  ${out.userAgent}`)
  const byWorkload = []
  for (const w of out.workloads) {
    const runs = out.results.filter((r) => r.workload === w.name)
    for (const r of runs) {
      r.verifyError = verifyBrowserRun(r, w)
      if (!r.verifyError)
        r.m = {
          eventsPerSec: w.expected.events / (r.ms / 1000),
          mbPerSec: w.expected.bytes / 1e6 / (r.ms / 1000),
          cpuPerEvent: (r.cpuMs * 1000) / w.expected.events,
        }
    }
    byWorkload.push({ w, runs })
    console.log(`\n  ${w.name}: ${fmt(w.expected.events)} events, ${fmt(w.expected.bytes / 1e6, 1)} MB — ${w.describe}`)
    const rows = []
    for (const impl of Object.keys(BROWSER_IMPL_NOTES)) {
      const good = runs.filter((r) => r.impl === impl && r.m)
      const med = (k) => median(good.map((r) => r.m[k]))
      const ratio = (k) => browserRatio(runs, impl, 'native', k)
      rows.push([
        impl,
        fmt(med('eventsPerSec')),
        fmt(med('mbPerSec'), 1),
        fmt(med('cpuPerEvent'), 2),
        impl === 'native' ? '' : fmt(ratio('eventsPerSec'), 2),
        impl === 'native' ? '' : fmt(ratio('cpuPerEvent'), 2),
        `${good.length}/${runs.filter((r) => r.impl === impl).length}`,
      ])
      for (const r of runs.filter((x) => x.impl === impl && x.verifyError)) console.log(`  ! ${impl} round ${r.round}: ${r.verifyError}`)
    }
    console.log(table(['impl', 'events/s', 'MB/s', 'CPU µs/ev', '÷ native ev/s', '÷ native CPU', 'ok runs'], rows, [0]))
  }
  console.log("  (events/s from the page's clock, construction to the last event; CPU: all of Chromium's processes, from")
  console.log('   /proc, 10 ms ticks; ratios: median over rounds of the two runs of the same round)')
  printBrowserFloor(byWorkload)
  printMessageEventWays(out)
  return { byWorkload, out }
}

/** a ÷ b for one metric: the median over rounds of the ratio of the two runs of the same round. */
function browserRatio(runs, a, b, key) {
  return median(
    runs
      .filter((r) => r.impl === a && r.m)
      .map((r) => {
        const o = runs.find((x) => x.impl === b && x.round === r.round && x.m)
        return o ? r.m[key] / o.m[key] : NaN
      }),
  )
}

/** The floor of the mandated parts in the browser against native, and ours against it. */
function printBrowserFloor(byWorkload) {
  const rows = byWorkload.map(({ w, runs }) => {
    const floor = browserRatio(runs, 'fetch-dispatch', 'native', 'eventsPerSec')
    return [
      w.name,
      fmt(floor, 2),
      `≥ 1.00${floor < 1 ? ' CLASH' : ''}`,
      fmt(browserRatio(runs, 'ours', 'fetch-dispatch', 'eventsPerSec'), 2),
      fmt(browserRatio(runs, 'ours', 'fetch-dispatch', 'cpuPerEvent'), 2),
      fmt(browserRatio(runs, 'fetch-dispatch-init', 'fetch-dispatch', 'eventsPerSec'), 2),
      fmt(browserRatio(runs, 'fetch-dispatch-init', 'fetch-dispatch', 'cpuPerEvent'), 2),
    ]
  })
  console.log('\n  floor: fetch-dispatch (fetch + TextDecoder + eventsource-parser + new MessageEvent + dispatchEvent)')
  console.log(
    table(['workload', 'floor ÷ native ev/s', 'target', 'ours ÷ floor ev/s', 'CPU/ev', 'init ÷ construct ev/s', 'CPU/ev'], rows, [0, 2]),
  )
  console.log('  ("init" is fetch-dispatch-init: the event made by document.createEvent + initMessageEvent)')
}

/** The page's micro-bench of the two ways of making a MessageEvent, and whether their events are alike. */
function printMessageEventWays({ micro, identity }) {
  if (!micro) return
  const range = (xs) => `${fmt(median(xs), 0)} (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)})`
  const rows = []
  for (const { name, runs } of micro.cases) {
    const paired = (kind) => median(runs.init[kind].map((x, i) => x / runs.construct[kind][i]))
    rows.push(
      [name, 'new MessageEvent(type, { data, origin, lastEventId })', range(runs.construct.make), range(runs.construct.dispatch)],
      [name, "createEvent('MessageEvent') + initMessageEvent(…)", range(runs.init.make), range(runs.init.dispatch)],
      [name, 'init ÷ construct (paired by block)', fmt(paired('make'), 2), fmt(paired('dispatch'), 2)],
    )
  }
  const blocks = micro.cases[0]?.runs.construct.make.length
  console.log(
    `\n  MessageEvent of the first event of a workload, made ${fmt(micro.count)} times per block, ${blocks} blocks after a warm-up: ns per event, median (min–max)`,
  )
  console.log(table(['event', 'way', 'make', 'make + dispatchEvent to one listener'], rows, [0, 1]))
  if (!identity) return
  const differences = []
  for (const phase of ['before', 'during', 'after']) {
    const a = identity.construct[phase] ?? {}
    const b = identity.init[phase] ?? {}
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key]))
        differences.push(`${phase} dispatch: ${key} ${JSON.stringify(a[key])} vs ${JSON.stringify(b[key])}`)
    }
  }
  const keys = Object.keys(identity.construct.before ?? {}).length
  console.log(
    differences.length
      ? `  the two ways' events differ: ${differences.join('; ')}`
      : `  the two ways' events are alike: ${keys} attributes compared before, during and after dispatch (timeStamp: a number > 0)`,
  )
  console.log(`  in a dedicated worker (no document, so the constructor): ${JSON.stringify(identity.worker)}`)
}

function browserTargetRows(browser) {
  if (!browser) return ONLY.includes('browser') ? [['browser: ours / native Chromium EventSource', 'n/a', '≥ 1.00', 'n/a']] : []
  return browser.flatMap(({ w, runs }) => {
    const r = browserRatio(runs, 'ours', 'native', 'eventsPerSec')
    const rows = [
      [`browser ${w.name}: events/s ours / native EventSource`, fmt(r, 2), '≥ 1.00', Number.isNaN(r) ? 'n/a' : r >= 1 ? 'PASS' : 'FAIL'],
    ]
    // As in Node: the floor of the mandated parts below the target means the target clashes with them.
    const floor = browserRatio(runs, 'fetch-dispatch', 'native', 'eventsPerSec')
    if (floor < 1) rows.push([`browser ${w.name}: floor fetch-dispatch / native`, fmt(floor, 2), '≥ 1.00', 'CLASH'])
    return rows
  })
}

// ---------------------------------------------------------------------------------------------
// Profile mode

function summarizeProfile(file, top, windowUs) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Keep the samples inside the client's timed window (both clocks are CLOCK_MONOTONIC in µs).
  const counts = new Map()
  let t = prof.startTime
  let kept = 0
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i]
    if (windowUs && (t < windowUs[0] || t > windowUs[1])) continue
    counts.set(prof.samples[i], (counts.get(prof.samples[i]) ?? 0) + 1)
    kept++
  }
  const inWindow = windowUs && kept > 0
  if (!inWindow) {
    counts.clear()
    for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
    kept = prof.samples.length
  }
  const spanMs = inWindow ? (windowUs[1] - windowUs[0]) / 1000 : (prof.endTime - prof.startTime) / 1000
  const short = (url) => {
    if (!url) return ''
    if (url.startsWith('file://')) return relative(ROOT, fileURLToPath(url))
    return url.replace(/^node:internal\/deps\//, '').replace(/^node:internal\//, '')
  }
  const name = (id) => {
    const cf = byId.get(id).callFrame
    const where = cf.url ? ` ${short(cf.url)}:${cf.lineNumber + 1}` : ''
    return `${cf.functionName || '(anonymous)'}${where}`
  }
  const fns = new Map()
  const files = new Map()
  for (const [id, c] of counts) {
    const key = name(id)
    const entry = fns.get(key) ?? { c: 0, callers: new Map() }
    entry.c += c
    const p = parent.get(id)
    if (p !== undefined) {
      const pk = name(p)
      entry.callers.set(pk, (entry.callers.get(pk) ?? 0) + c)
    }
    fns.set(key, entry)
    const cf = byId.get(id).callFrame
    const f = cf.url ? short(cf.url) : cf.functionName
    files.set(f, (files.get(f) ?? 0) + c)
  }
  const pct = (c) => `${fmt((100 * c) / kept, 1)}%`
  const ms = (c) => fmt((c / kept) * spanMs, 1)
  console.log(
    `\n## profile: ${fmt(kept)} samples over ${fmt(spanMs)} ms` +
      (inWindow ? ' (the timed window only: first byte requested → last event)' : ' (whole process, startup included)'),
  )
  console.log('\nself time by function (with its main caller):')
  const fnRows = [...fns]
    .sort((a, b) => b[1].c - a[1].c)
    .slice(0, top)
    .map(([k, e]) => {
      const caller = [...e.callers].sort((a, b) => b[1] - a[1])[0]
      return [pct(e.c), ms(e.c), k, caller ? `← ${caller[0]}` : '']
    })
  console.log(table(['self', 'ms', 'function file:line', 'main caller'], fnRows, [2, 3]))
  const cats = new Map()
  for (const [f, c] of files) {
    const cat = category(f)
    cats.set(cat, (cats.get(cat) ?? 0) + c)
  }
  console.log('\nself time by kind of work:')
  const catRows = [...cats].sort((a, b) => b[1] - a[1]).map(([k, c]) => [pct(c), ms(c), k])
  console.log(table(['self', 'ms', 'kind'], catRows, [2]))
  console.log('\nself time by file:')
  const fileRows = [...files]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, c]) => [pct(c), ms(c), k])
  console.log(table(['self', 'ms', 'file'], fileRows, [2]))
}

/** Rough kinds of work, by the file a sample's function lives in. */
function category(file) {
  if (file.startsWith('dist/') || file.includes('.snapshot/dist/')) return 'library code in dist/ (bundled eventsource-parser included)'
  if (file.includes('node_modules/eventsource-parser')) return 'eventsource-parser'
  if (file.includes('node_modules/eventsource')) return 'eventsource package'
  if (/^(event_target|worker\/io|now|per_context\/domexception)$/.test(file))
    return 'Event/MessageEvent construction and dispatch (node:internal/event_target, worker/io)'
  if (/^(decode|encoding)$/.test(file)) return 'TextDecoder'
  if (
    /^(undici|streams|webstreams|node:net|wasm|async_hooks|process\/task_queues|runMicrotasks|buffer|node:buffer|stream_base_commons|GenericJSToWasmWrapper|timers|fixed_queue|process\/promises|abort_controller|readStop|node:events|errors|validators)/.test(
      file,
    )
  )
    return 'transport: undici fetch, streams, net, microtasks'
  if (file === '(garbage collector)') return 'garbage collector'
  if (file === '(idle)' || file === '(program)' || file === '(root)') return 'idle / program'
  if (file.startsWith('bench/')) return 'benchmark listener (checksum)'
  return `other: ${file}`
}

async function profile(spec) {
  const [impl, workload] = (typeof spec === 'string' ? spec : 'ours:small').split(':')
  const w = resolveWorkload(workload ?? 'small', QUICK)
  const server = await startServer(w)
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'))
  try {
    const r = await runClient(impl, w, server, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'])
    const verr = verify(r, server.expected, w)
    console.log(`${impl} on ${w.name} under --cpu-prof: ${verr ? `FAILED: ${verr}` : 'ok'}`)
    if (!verr) {
      const m = metrics(r, server.expected, w)
      console.log(
        Object.entries(m)
          .map(([k, v]) => `${k}=${fmt(v, 2)}`)
          .join('  '),
        '(profiling slows it down)',
      )
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (!file) console.log('no .cpuprofile was written')
    else summarizeProfile(join(dir, file), Number.parseInt(opt('top') ?? '25', 10), r.windowUs)
  } finally {
    await stopServer(server)
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  ensureBuilt()
  oursModule = snapshotDist()
  const size = browserSize()
  try {
    if (opt('profile')) await profile(opt('profile'))
    else await bench(size)
  } finally {
    if (oursModule !== DIST_INDEX) rmSync(SNAPSHOT, { recursive: true, force: true })
  }
}

async function bench(size) {
  const started = Date.now()
  const cpu = cpus()
  console.log(`# isomorphic-eventsource benchmark — ${QUICK ? 'QUICK (smoke run, figures not meaningful)' : 'full'} run`)
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model ?? '?'}`)
  console.log(
    `${RUNS} measured run(s) per implementation${WARMUP ? ' after one warm-up run each' : ''}, alternated A B C A B C; each run in a fresh process; medians`,
  )
  console.log(`command: node bench/run.mjs ${args.join(' ')}`.trimEnd())
  if (!existsSync(DIST_INDEX)) console.log(`! ${relative(ROOT, DIST_INDEX)} is missing: "ours" will fail`)
  console.log('\nimplementations:')
  for (const [k, v] of Object.entries(IMPL_NOTES))
    console.log(`  ${k.padEnd(14)} ${k === 'ours' ? v.replace('dist/index.mjs', relative(ROOT, DIST_INDEX)) : v}`)

  const results = []
  const raw = []
  for (const name of ONLY) {
    if (name === 'browser') continue
    const w = resolveWorkload(name, QUICK)
    if (typeof opt('impls') === 'string') w.impls = w.impls.filter((i) => opt('impls').split(',').includes(i))
    if (w.impls.length === 0) continue
    const server = await startServer(w)
    const runs = []
    try {
      const failed = new Map()
      const skip = (impl) => (failed.get(impl) ?? 0) >= MAX_FAILURES || Date.now() - started > TOTAL_BUDGET_MS
      const fail = (impl) => failed.set(impl, (failed.get(impl) ?? 0) + 1)
      if (WARMUP) {
        for (const impl of w.impls) {
          const r = await runClient(impl, w, server)
          const err = r.ok ? verify(r, server.expected, w) : r.error
          if (err) {
            fail(impl)
            console.log(`  ! ${w.name}: ${impl} warm-up run failed: ${err.split('\n').join('\n    ')}`)
          }
        }
      }
      for (let i = 0; i < RUNS; i++) {
        for (const impl of w.impls) {
          if (skip(impl)) continue
          const r = await runClient(impl, w, server)
          r.round = i
          if (!r.ok) fail(impl)
          r.verifyError = r.ok ? verify(r, server.expected, w) : undefined
          if (r.verifyError) fail(impl)
          if (r.ok && !r.verifyError) r.m = metrics(r, server.expected, w)
          runs.push(r)
          raw.push(r)
        }
      }
    } finally {
      await stopServer(server)
    }
    const summaries = new Map(w.impls.map((impl) => [impl, summarize(runs, impl)]))
    results.push({ w, summaries, runs })
    printWorkload(w, server, summaries)
  }

  const browserOut = ONLY.includes('browser') ? await browserSection() : undefined
  const browser = browserOut?.byWorkload
  if (browserOut) {
    const { userAgent, micro, identity, results } = browserOut.out
    raw.push({ section: 'browser', userAgent, micro, identity, results })
  }

  const rrows = ratioRows(results)
  console.log('\n## ratios ours / other')
  console.log('  (median over rounds of ours ÷ other within the same round; >1 is better for events/s and cycles/s,')
  console.log('   <1 is better for latency, CPU and heap)')
  if (rrows.length)
    console.log(table(['workload', 'vs', 'events/s | latency | cycles/s', 'CPU/ev', 'heap', 'stream heap', 'heap peak'], rrows, [0, 1]))
  else console.log('  n/a (no successful "ours" run)')

  const frows = floorRows(results)
  if (frows.length) {
    console.log('\n## floor: fetch-dispatch (fetch + TextDecoder + eventsource-parser + new MessageEvent + dispatchEvent)')
    console.log('  (paired medians as above; "ours ÷ floor" below 1 is what our own code costs on top of the mandated parts;')
    console.log('   "floor ÷ fetch-parser" is what MessageEvent construction and dispatch cost)')
    console.log(
      table(
        ['workload', 'floor ÷ eventsource ev/s', 'CPU/ev', 'target', 'ours ÷ floor ev/s', 'CPU/ev', 'floor ÷ fetch-parser ev/s'],
        frows,
        [0, 3],
      ),
    )
  }

  console.log('\n## targets (ratios as above)')
  console.log(table(['target', 'value', 'need', 'result'], [...targetRows(results, size), ...browserTargetRows(browser)], [0, 2]))
  if (size !== undefined)
    console.log(
      `  ${relative(ROOT, DIST_BROWSER)}: ${fmt(size.minified)} bytes minified, ${fmt(size.gzip)} bytes gzip -9 (${fmt(size.gzip / 1024, 2)} KiB)`,
    )
  console.log(`\ntotal time ${fmt((Date.now() - started) / 1000, 1)} s`)
  if (typeof opt('json') === 'string') {
    writeFileSync(opt('json'), JSON.stringify(raw, null, 1))
    console.log(`raw results: ${opt('json')}`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
