// The client side of the runtime tests: one scenario per process, run by Deno, Bun (and Node, as
// the reference) against the built package. Plain JavaScript that every runtime runs as it is.
//
//   <runtime> test/runtimes/scenarios.mjs <scenario> <base URL>
//
// The server (test/runtimes/runtimes.runtime-test.ts) serves each scenario below its base URL and
// has `<base>/state`, a JSON view of the requests it saw under that base (so that a scenario can
// wait until the server has seen a connection close). A scenario prints one line,
// `RESULT <json>` of what it saw, and then lets the process end by itself: nothing here calls
// process.exit() or Deno.exit(), so a timer or a connection left behind keeps the process alive,
// and the parent counts that as a failure.
import { EventSource, EventSourceErrorEvent, SharedEventSource } from '../../dist/index.mjs'

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2)
const [scenarioName, base] = args

const runtime = globalThis.Deno
  ? `deno ${globalThis.Deno.version.deno}`
  : globalThis.Bun
    ? `bun ${globalThis.Bun.version}`
    : `node ${process.versions.node}`

/** Every source a scenario made, closed only if the scenario throws. */
const sources = []

function open(path, init) {
  const source = new EventSource(base + path, init)
  sources.push(source)
  return source
}

/** What a listener saw of an event, in JSON-friendly terms (null for undefined). */
function describe(source, event) {
  const seen = { type: event.type, readyState: source.readyState }
  if (event.type !== 'open' && event.type !== 'error') {
    seen.data = event.data
    seen.lastEventId = event.lastEventId
    seen.origin = event.origin
    seen.isMessageEvent = typeof MessageEvent === 'function' && event instanceof MessageEvent
  }
  if (event.type === 'error') {
    seen.isErrorEvent = event instanceof EventSourceErrorEvent
    seen.isEvent = event instanceof Event
    seen.kind = event.kind ?? null
    seen.status = event.status ?? null
    seen.message = event.message ?? null
    seen.retryDelay = event.retryDelay ?? null
  }
  return seen
}

/** Records every event of `types` on `source`, in dispatch order, with the time it came. */
function record(source, types = ['open', 'message', 'error']) {
  const events = []
  for (const type of types) {
    source.addEventListener(type, (event) => events.push({ ...describe(source, event), at: Date.now() }))
  }
  return events
}

/** Resolves once `condition()` (which may be async) is true; polls every 5 ms, gives up after 5 s. */
async function until(condition, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Waits while real time passes, only to show that something does NOT happen. */
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The server's view of the requests under this scenario's base: `{ [path]: [{ attempt, closed }] }`. */
async function serverState() {
  const response = await fetch(`${base}/state`)
  return response.json()
}

const count = (events, type) => events.filter((e) => e.type === type).length
const strip = (events) => events.map(({ at, ...rest }) => rest)

const scenarios = {
  /** Messages with ids, a custom event type, a multi-line data field, a comment. */
  async messages() {
    const source = open('/stream')
    const events = record(source, ['open', 'message', 'update', 'error'])
    const onmessage = []
    source.onmessage = (event) => onmessage.push(event.data)
    await until(() => count(events, 'message') + count(events, 'update') >= 3, 'three messages')
    source.close()
    // The main entry has no side effects: the runtime's own global (if any) stays as it was.
    const global = globalThis.EventSource
    const globalEventSource = typeof global !== 'function' ? 'none' : global === EventSource ? 'ours' : 'native'
    return { events: strip(events), onmessage, readyStateAfterClose: source.readyState, globalEventSource }
  },

  /** The server ends the stream: an error of kind 'end', then a reconnection with Last-Event-ID. */
  async reconnect() {
    const source = open('/stream')
    const events = record(source)
    await until(() => count(events, 'message') >= 2, 'the message after the reconnection')
    source.close()
    return { events: strip(events) }
  },

  /** A 500 fails the connection: CLOSED, and no reconnection even with a short reconnection time. */
  async http500() {
    const source = open('/stream', { retryDelay: 20 })
    const events = record(source)
    await until(() => count(events, 'error') >= 1, 'the error event')
    await settle(300)
    // No close(): a failed source must not keep the process alive either.
    return { events: strip(events), readyStateAfter: source.readyState }
  },

  /** `headers` (an async function, called per attempt), POST and a body, on every attempt. */
  async post() {
    let headerCalls = 0
    const source = open('/stream', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'hello' }),
      headers: async () => {
        headerCalls += 1
        return { Authorization: `Bearer token-${headerCalls}`, 'Content-Type': 'application/json' }
      },
    })
    const events = record(source)
    await until(() => count(events, 'message') >= 2, 'the message after the reconnection')
    source.close()
    return { events: strip(events), headerCalls }
  },

  /** close() while open (inside a handler), while waiting to reconnect, and while connecting. */
  async close() {
    // Open: close() in the first message's handler; the second message came in the same chunk.
    const opened = open('/open')
    const openEvents = record(opened)
    opened.addEventListener('message', () => opened.close())
    await until(() => count(openEvents, 'message') >= 1, 'the first message')
    const openAfterClose = opened.readyState
    await until(async () => (await serverState())['/open']?.[0]?.closed === true, 'the server to see the stream closed')

    // Waiting to reconnect: the server asked for a 60 s reconnection time, a timer the process
    // would wait for if close() left it behind.
    const waiting = open('/waiting')
    const waitingEvents = record(waiting)
    await until(() => count(waitingEvents, 'error') >= 1, 'the end of the stream')
    const waitingBeforeClose = waiting.readyState
    waiting.close()

    // Connecting: the server holds the request without answering.
    const connecting = open('/connecting')
    const connectingEvents = record(connecting)
    await until(async () => (await serverState())['/connecting']?.length === 1, 'the server to see the request')
    const connectingBeforeClose = connecting.readyState
    connecting.close()
    await until(async () => (await serverState())['/connecting'][0].closed === true, 'the server to see the request aborted')

    // Anything dispatched after the close() calls would show up here.
    await settle(100)
    return {
      open: { events: strip(openEvents), readyStateAfterClose: openAfterClose },
      waiting: { events: strip(waitingEvents), readyStateBeforeClose: waitingBeforeClose, readyStateAfterClose: waiting.readyState },
      connecting: {
        events: strip(connectingEvents),
        readyStateBeforeClose: connectingBeforeClose,
        readyStateAfterClose: connecting.readyState,
      },
    }
  },

  /** for await with a types filter and a small highWaterMark; comments; break closes the source. */
  async iterate() {
    const comments = []
    const source = open('/stream', { onComment: (text) => comments.push(text) })
    const seen = []
    for await (const event of source.events({ types: ['update'], highWaterMark: 2 })) {
      seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId })
      if (seen.length === 3) break
    }
    const readyStateAfterBreak = source.readyState
    await until(async () => (await serverState())['/stream']?.[0]?.closed === true, 'the server to see the stream closed')
    return { seen, comments, readyStateAfterBreak }
  },

  /** reconnect() while open: no error event, a new request at once with Last-Event-ID, then open. */
  async reconnectNow() {
    const source = open('/stream', { retryDelay: 60000 })
    const events = record(source)
    await until(() => count(events, 'message') >= 1, 'the first message')
    source.reconnect()
    const readyStateAfterReconnect = source.readyState
    await until(() => count(events, 'message') >= 2, 'the message after reconnect()')
    source.close()
    return { events: strip(events), readyStateAfterReconnect }
  },

  /** readTimeout drops a stream that went silent and resumes it with Last-Event-ID. */
  async readTimeout() {
    const source = open('/stream', { readTimeout: 400 })
    const events = record(source)
    await until(() => count(events, 'message') >= 2, 'the message after the reconnection')
    source.close()
    const firstMessage = events.find((e) => e.type === 'message')
    const timeout = events.find((e) => e.type === 'error')
    // The dropped stream must be closed on the wire, not only forgotten by the source.
    await until(async () => (await serverState())['/stream'][0].closed === true, 'the server to see the stalled stream closed')
    return { events: strip(events), silentMs: timeout && firstMessage ? timeout.at - firstMessage.at : null }
  },

  /**
   * Two SharedEventSources on one URL: one connection where the runtime has Web Locks and
   * BroadcastChannel (Deno, Node 24+), one each elsewhere (Bun, older Node); either way both get
   * the messages, and once both are closed nothing (lock, channel) keeps the process alive.
   */
  async shared() {
    const sharing = typeof globalThis.navigator?.locks?.request === 'function' && typeof BroadcastChannel === 'function'
    const first = new SharedEventSource(`${base}/stream`)
    const second = new SharedEventSource(`${base}/stream`)
    sources.push(first, second)
    const events = [record(first), record(second)]
    await until(() => events.every((log) => count(log, 'message') >= 2), 'two messages for each source')
    first.close()
    second.close()
    await until(async () => (await serverState())['/stream'].every((request) => request.closed), 'the server to see the stream closed')
    return {
      sharing,
      isShared: first instanceof SharedEventSource,
      events: events.map(strip),
      connections: (await serverState())['/stream'].length,
    }
  },
}

async function main() {
  const scenario = scenarios[scenarioName]
  if (!scenario || !base) throw new Error(`usage: scenarios.mjs <${Object.keys(scenarios).join('|')}> <base URL>`)
  try {
    const result = await scenario()
    console.log(`RESULT ${JSON.stringify({ runtime, ...result })}`)
  } catch (error) {
    for (const source of sources) source.close()
    console.log(`RESULT ${JSON.stringify({ runtime, error: String(error?.stack ?? error) })}`)
  }
}

await main()
