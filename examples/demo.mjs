// `npm start`: a local event stream server and an EventSource that prints what it receives.
// The server drops the connection once, mid-stream, so you can watch the source reconnect and
// resume where it left off with Last-Event-ID. Everything stays on 127.0.0.1 and the demo exits
// by itself.
import { createServer } from 'node:http'
import { EventSource, EventSourceErrorEvent, constantBackoff } from '../dist/index.mjs'

const TOTAL_EVENTS = 6
const DROP_AFTER = 3
let connections = 0

const server = createServer((req, res) => {
  connections += 1
  const lastEventId = req.headers['last-event-id']
  log('server', `request #${connections}${lastEventId ? ` with Last-Event-ID: ${lastEventId}` : ''}`)
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  // Ask the client to come back after 500 ms when the stream drops.
  res.write('retry: 500\n\n')
  let next = lastEventId ? Number(lastEventId) + 1 : 1
  const timer = setInterval(() => {
    res.write(`id: ${next}\nevent: tick\ndata: ${JSON.stringify({ tick: next, at: new Date().toISOString() })}\n\n`)
    if (connections === 1 && next === DROP_AFTER) {
      log('server', 'dropping the connection on purpose')
      clearInterval(timer)
      res.destroy()
    }
    next += 1
  }, 200)
  res.on('close', () => clearInterval(timer))
})

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}/events`
  log('client', `connecting to ${url}`)
  const source = new EventSource(url, { backoff: constantBackoff })
  let received = 0

  source.onopen = () => log('client', 'open')
  source.addEventListener('tick', (event) => {
    received += 1
    log('client', `tick  id=${event.lastEventId}  data=${event.data}`)
    if (received === TOTAL_EVENTS) {
      log('client', `received ${TOTAL_EVENTS} events without a gap or a duplicate; closing`)
      source.close()
      server.close()
      server.closeAllConnections()
    }
  })
  source.onerror = (event) => {
    const detail = event instanceof EventSourceErrorEvent ? `${event.message}; retrying in ${event.retryDelay} ms` : ''
    log('client', `error  ${detail}`)
  }
})

function log(who, message) {
  console.log(`${new Date().toISOString().slice(11, 23)}  ${who.padEnd(6)}  ${message}`)
}
