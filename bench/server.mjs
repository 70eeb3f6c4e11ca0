// The benchmark's SSE server, run as a child process of bench/run.mjs so that it never shares the
// client's event loop. It pre-builds the stream of one workload, listens on 127.0.0.1 port 0 and
// reports {port, expected} over IPC. Streams are written as fast as the socket drains: 64 KiB
// slices, waiting for 'drain' whenever write() returns false. After the last byte the response
// stays open (so no client sees an end and reconnects) until the client goes away.
import { createServer } from 'node:http'
import { pump } from './lib/pump.mjs'
import { buildStream, churnData, churnExpected, latencyExpected, resolveWorkload } from './lib/workloads.mjs'

const { workload, quick } = JSON.parse(process.argv[2])
const w = resolveWorkload(workload, quick)
const HOLD_OPEN_MS = 180_000

// Exit whenever the parent goes away, whatever state we are in.
process.on('disconnect', () => process.exit(0))
process.on('message', (m) => {
  if (m === 'stop') process.exit(0)
})

const t0 = performance.now()
let stream
let expected
if (w.kind === 'stream') {
  stream = buildStream(w)
  expected = stream.expected
} else if (w.kind === 'latency') {
  expected = latencyExpected(w)
} else if (w.kind === 'idle') {
  expected = { events: w.sources[w.sources.length - 1] }
} else {
  expected = churnExpected(w)
}
const buildMs = performance.now() - t0

const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }

function holdOpen(res) {
  const timer = setTimeout(() => res.end(), HOLD_OPEN_MS)
  res.on('close', () => clearTimeout(timer))
}

function latency(res) {
  let seq = 0
  let closed = false
  res.on('close', () => {
    closed = true
    clearInterval(timer)
  })
  const timer = setInterval(() => {
    if (closed) return
    if (seq >= w.events) {
      clearInterval(timer)
      holdOpen(res)
      return
    }
    // The timestamp is taken as the last thing before the write.
    res.write(`data: ${seq++} ${process.hrtime.bigint()}\n\n`)
  }, 1)
}

function churn(req, res) {
  const last = Number.parseInt(String(req.headers['last-event-id'] ?? ''), 10)
  const n = Number.isFinite(last) ? last + 1 : 1
  res.writeHead(200, { ...SSE_HEADERS, Connection: 'close' })
  res.end(`retry: 1\nid: ${n}\ndata: ${churnData(n)}\n\n`)
}

const server = createServer((req, res) => {
  req.resume()
  if (req.url === '/warm') {
    // Clients make one request here before their timed window, so that loading fetch (undici) or
    // node:http's lazy parts is not timed as part of the first stream.
    res.writeHead(200, SSE_HEADERS)
    return res.end('data: warm\n\n')
  }
  if (w.kind === 'churn') return churn(req, res)
  if (w.kind === 'idle') {
    // One event, then nothing: the source waits, as most sources do most of the time.
    res.writeHead(200, SSE_HEADERS)
    res.write('data: hello\n\n')
    return holdOpen(res)
  }
  res.socket.setNoDelay(true)
  res.writeHead(200, SSE_HEADERS)
  res.flushHeaders()
  if (w.kind === 'stream') pump(res, stream.buffer, holdOpen)
  else latency(res)
})
server.keepAliveTimeout = 5_000
// Idle sources open thousands of streams at once.
server.maxConnections = 20_000

server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => {
  process.send({ ready: true, port: server.address().port, expected, buildMs })
})
