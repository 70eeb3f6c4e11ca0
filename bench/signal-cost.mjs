// What an AbortSignal costs a fetch reconnect loop (issue 6, reconnect churn): `node bench/signal-cost.mjs`.
//
// The source must pass a signal to every fetch, or close() could not abort a request that has no
// response yet. This loop, against a loopback server that answers one event and closes, times
// the same request init with and without a signal, alternating in rounds (medians, µs a cycle).
import http from 'node:http'

const ROUNDS = 12
const CYCLES = 200

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' })
  res.end('retry: 1\nid: 1\ndata: x\n\n')
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/`

/** µs per cycle of `cycles` requests, each read to its end. */
async function cycle(cycles, makeInit) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < cycles; i++) {
    const response = await fetch(url, makeInit())
    const reader = response.body.getReader()
    while (!(await reader.read()).done);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / cycles
}

// The init the source sends (src/request.ts), with and without its signal.
const init = () => ({
  method: 'GET',
  headers: { accept: 'text/event-stream', 'cache-control': 'no-cache' },
  cache: 'no-store',
  mode: 'cors',
  credentials: 'same-origin',
  redirect: 'follow',
})
const variants = { 'without a signal': init, 'with a signal': () => ({ ...init(), signal: new AbortController().signal }) }

await cycle(CYCLES, init) // warm-up
const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(variants)
  for (const name of round % 2 ? names.reverse() : names) times[name].push(await cycle(CYCLES, variants[name]))
}
const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1]
for (const [name, values] of Object.entries(times))
  console.log(`${name.padEnd(18)} ${median(values).toFixed(0)} µs a cycle (median of ${ROUNDS} rounds of ${CYCLES})`)
server.close()
