/**
 * Deno and Bun (with Node beside them as the reference) run the built package, dist/index.mjs,
 * against this process's loopback server: each scenario of test/runtimes/scenarios.mjs runs in a
 * process of its own, prints what it saw, and must then exit by itself.
 *
 * Run by scripts/runtime-matrix.mjs (`npm run test:runtimes`), which fetches the runtimes from the
 * npm registry and names them in the RUNTIMES environment variable; the file name is not
 * `*.test.ts`, so the plain `jest` run does not pick it up.
 */
import { spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import {
  perAttempt,
  startServer,
  startStream,
  streamInPieces,
  type RecordedRequest,
  type RouteHandler,
  type TestServer,
} from '../helpers/server'

interface Runtime {
  /** `deno`, `bun`, `node` */
  name: string
  version: string
  /** The command and its options, before the script's path. */
  argv: string[]
  env?: Record<string, string>
}

interface Outcome {
  /** The parsed `RESULT` line, or undefined when there was none. */
  result: Record<string, unknown> | undefined
  code: number | null
  signal: NodeJS.Signals | null
  /** Killed because it had not exited within PROCESS_TIMEOUT_MS. */
  hung: boolean
  stdout: string
  stderr: string
}

/** A scenario's process must have printed its result and exited within this. */
const PROCESS_TIMEOUT_MS = 10_000
const scenarioScript = path.join(__dirname, 'scenarios.mjs')

const runtimes: Runtime[] = JSON.parse(process.env.RUNTIMES ?? '[]')
if (runtimes.length === 0) {
  throw new Error('no runtimes to test: run this file through scripts/runtime-matrix.mjs (npm run test:runtimes)')
}

let server: TestServer
/** Whether each request's connection (or its response) has closed, as the server saw it. */
const closed = new WeakMap<RecordedRequest, boolean>()

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.close()
})

/** Wraps a handler so that the server records when the request's response closes. */
function tracked(handler: RouteHandler): RouteHandler {
  return (req, res, request) => {
    closed.set(request, false)
    res.on('close', () => closed.set(request, true))
    return handler(req, res, request)
  }
}

/** Serves `routes` under `base`, and `<base>/state`: the requests seen under `base`, by path. */
function install(base: string, routes: Record<string, RouteHandler>): void {
  for (const [route, handler] of Object.entries(routes)) server.route(base + route, tracked(handler))
  server.route(`${base}/state`, (_req, res) => {
    const state: Record<string, { attempt: number; closed: boolean }[]> = {}
    for (const route of Object.keys(routes)) {
      state[route] = server.requestsTo(base + route).map((r) => ({ attempt: r.attempt, closed: closed.get(r) === true }))
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state))
  })
}

const held =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).write(body)
const ended =
  (body: string): RouteHandler =>
  (_req, res) =>
    void startStream(res).end(body)
/**
 * The request's Last-Event-ID as the client meant it: Node hands header bytes over as latin1, and
 * the spec has the client send the id as UTF-8.
 */
const lastEventIdOf = (request: RecordedRequest | IncomingMessage) => {
  const header = request.headers['last-event-id']
  return header === undefined ? undefined : Buffer.from(String(header), 'latin1').toString('utf8')
}
/** Sends the request's Last-Event-ID (or `none`) back as a message, and holds the stream. */
const echoLastEventId: RouteHandler = (req, res) => {
  startStream(res).write(`data: ${lastEventIdOf(req) ?? 'none'}\n\n`)
}
/** Never answers: the request stays pending until the client gives up. */
const neverAnswer: RouteHandler = (_req, _res: ServerResponse) => undefined

/** Runs one scenario in `runtime` against `base`, and waits until the process exits (or hangs). */
function runScenario(runtime: Runtime, scenario: string, base: string): Promise<Outcome> {
  const [command, ...options] = runtime.argv
  return new Promise((resolve) => {
    const child = spawn(command, [...options, scenarioScript, scenario, server.url(base)], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, NO_COLOR: '1', ...runtime.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    let hung = false
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, PROCESS_TIMEOUT_MS)
    child.on('error', (error) => {
      stderr += String(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
      const result = line === undefined ? undefined : (JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>)
      resolve({ result, code, signal, hung, stdout, stderr })
    })
  })
}

/**
 * The scenario's result, once its process printed one without an error, printed nothing to
 * stderr and exited with 0 by itself; otherwise fails with what the process printed.
 */
// biome-ignore lint/suspicious/noExplicitAny: each scenario reports a result of its own shape
function resultOf(outcome: Outcome): any {
  const problem = outcome.hung
    ? `did not exit within ${PROCESS_TIMEOUT_MS} ms (killed)`
    : outcome.result === undefined
      ? 'printed no result'
      : outcome.result.error !== undefined
        ? `failed: ${outcome.result.error}`
        : outcome.code !== 0
          ? `exited with ${outcome.code ?? outcome.signal}`
          : outcome.stderr !== ''
            ? 'printed to stderr (a warning or an error of the runtime)'
            : undefined
  if (problem) throw new Error(`the scenario ${problem}\n--- stdout\n${outcome.stdout}\n--- stderr\n${outcome.stderr}`)
  return outcome.result
}

const open = { type: 'open', readyState: 1 }
const message = (data: string, lastEventId: string, type = 'message') => ({
  type,
  readyState: 1,
  data,
  lastEventId,
  origin: server.origin,
  isMessageEvent: true,
})
const errorEvent = (fields: { readyState: number; kind: string; status?: number; retrying: boolean }) => ({
  type: 'error',
  readyState: fields.readyState,
  isErrorEvent: true,
  isEvent: true,
  kind: fields.kind,
  status: fields.status ?? null,
  message: expect.any(String),
  retryDelay: fields.retrying ? expect.any(Number) : null,
})

describe.each(runtimes.map((runtime) => [`${runtime.name} ${runtime.version}`, runtime] as const))('%s', (_label, runtime) => {
  const base = (scenario: string) => `/${runtime.name}/${scenario}`

  test('delivers messages with their ids and a custom event type, split across chunks, from the built package', async () => {
    install(base('messages'), {
      '/stream': streamInPieces(
        [': a comment\n\nid: 1\ndata: o', 'ne\n\nevent: upd', 'ate\nid: 2\ndata: {"n":2}\n\ndata: three\ndata: lines\n', '\n'],
        {
          hold: true,
        },
      ),
    })
    const result = resultOf(await runScenario(runtime, 'messages', base('messages')))
    expect(result.runtime).toBe(`${runtime.name} ${runtime.version}`)
    expect(result.events).toEqual([open, message('one', '1'), message('{"n":2}', '2', 'update'), message('three\nlines', '2')])
    // The custom type goes to its own listeners only, not to onmessage.
    expect(result.onmessage).toEqual(['one', 'three\nlines'])
    expect(result.readyStateAfterClose).toBe(2)
    expect(result.globalEventSource).not.toBe('ours')
  })

  test('reconnects after the end of the stream with an error of kind end, sending Last-Event-ID in UTF-8', async () => {
    const id = 'a1 café ☃'
    install(base('reconnect'), { '/stream': perAttempt(ended(`retry: 50\nid: ${id}\ndata: first\n\n`), echoLastEventId) })
    const result = resultOf(await runScenario(runtime, 'reconnect', base('reconnect')))
    expect(result.events).toEqual([
      open,
      message('first', id),
      errorEvent({ readyState: 0, kind: 'end', retrying: true }),
      open,
      message(id, id),
    ])
    expect(result.events[2].retryDelay).toBeGreaterThanOrEqual(50)
    const requests = server.requestsTo(`${base('reconnect')}/stream`)
    expect(requests.map(lastEventIdOf)).toEqual([undefined, id])
    expect(requests.map((r) => r.headers.accept)).toEqual(['text/event-stream', 'text/event-stream'])
  })

  test('fails the connection on HTTP 500: readyState CLOSED and no reconnection', async () => {
    install(base('http500'), { '/stream': (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom') })
    const result = resultOf(await runScenario(runtime, 'http500', base('http500')))
    expect(result.events).toEqual([errorEvent({ readyState: 2, kind: 'http', status: 500, retrying: false })])
    expect(result.readyStateAfter).toBe(2)
    // The scenario waited 300 ms with a 20 ms reconnection time: a retry would have come.
    expect(server.requestsTo(`${base('http500')}/stream`)).toHaveLength(1)
  })

  test('sends POST with its body and the headers function, called before every attempt', async () => {
    install(base('post'), { '/stream': perAttempt(ended('retry: 20\nid: p1\ndata: first\n\n'), held('data: second\n\n')) })
    const result = resultOf(await runScenario(runtime, 'post', base('post')))
    expect(result.events).toEqual([
      open,
      message('first', 'p1'),
      errorEvent({ readyState: 0, kind: 'end', retrying: true }),
      open,
      message('second', 'p1'),
    ])
    expect(result.headerCalls).toBe(2)
    const requests = server.requestsTo(`${base('post')}/stream`)
    expect(requests.map((r) => r.method)).toEqual(['POST', 'POST'])
    expect(requests.map((r) => r.body)).toEqual(['{"prompt":"hello"}', '{"prompt":"hello"}'])
    expect(requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2'])
    expect(requests.map((r) => r.headers['content-type'])).toEqual(['application/json', 'application/json'])
    expect(requests.map(lastEventIdOf)).toEqual([undefined, 'p1'])
  })

  test('close() while open, waiting to reconnect or connecting aborts the request, dispatches nothing more, and the process exits by itself', async () => {
    install(base('close'), {
      '/open': held('data: 1\n\ndata: 2\n\n'),
      '/waiting': ended('retry: 60000\ndata: x\n\n'),
      '/connecting': neverAnswer,
    })
    const outcome = await runScenario(runtime, 'close', base('close'))
    const result = resultOf(outcome)
    // Closed in the first message's handler: the second message of the same chunk is not dispatched.
    expect(result.open).toEqual({ events: [open, message('1', '')], readyStateAfterClose: 2 })
    expect(result.waiting).toEqual({
      events: [open, message('x', ''), errorEvent({ readyState: 0, kind: 'end', retrying: true })],
      readyStateBeforeClose: 0,
      readyStateAfterClose: 2,
    })
    expect(result.waiting.events[2].retryDelay).toBeGreaterThanOrEqual(60000)
    expect(result.connecting).toEqual({ events: [], readyStateBeforeClose: 0, readyStateAfterClose: 2 })
    expect(server.requestsTo(`${base('close')}/waiting`)).toHaveLength(1)
  })

  test('for await yields the chosen types in order, onComment sees comments, and break closes the source', async () => {
    const events = [
      'data: skip\n\n',
      ': ping\n',
      'event: update\nid: 1\ndata: a\n\n',
      'event: update\ndata: b\n\n',
      ': pong\n',
      'event: update\ndata: c\n\n',
      'event: update\ndata: d\n\n',
    ]
    install(base('iterate'), { '/stream': held(events.join('')) })
    const result = resultOf(await runScenario(runtime, 'iterate', base('iterate')))
    expect(result.seen).toEqual([
      { type: 'update', data: 'a', lastEventId: '1' },
      { type: 'update', data: 'b', lastEventId: '1' },
      { type: 'update', data: 'c', lastEventId: '1' },
    ])
    expect(result.comments).toEqual(['ping', 'pong'])
    expect(result.readyStateAfterBreak).toBe(2)
  })

  test('reconnect() while open reconnects at once with Last-Event-ID, without an error event', async () => {
    install(base('reconnectNow'), { '/stream': perAttempt(held('id: r1\ndata: first\n\n'), echoLastEventId) })
    const result = resultOf(await runScenario(runtime, 'reconnectNow', base('reconnectNow')))
    expect(result.events).toEqual([open, message('first', 'r1'), open, message('r1', 'r1')])
    expect(result.readyStateAfterReconnect).toBe(0)
    expect(server.requestsTo(`${base('reconnectNow')}/stream`).map(lastEventIdOf)).toEqual([undefined, 'r1'])
  })

  test('SharedEventSource: sources on one URL share a connection where Web Locks and BroadcastChannel exist (Deno), else each behaves as an EventSource (Bun); closed, nothing keeps the process alive', async () => {
    install(base('shared'), { '/stream': held('id: s1\ndata: one\n\nid: s2\ndata: two\n\n') })
    const result = resultOf(await runScenario(runtime, 'shared', base('shared')))
    const each = [open, message('one', 's1'), message('two', 's2')]
    expect(result.events).toEqual([each, each])
    expect(result.isShared).toBe(true)
    if (runtime.name === 'deno') expect(result.sharing).toBe(true)
    if (runtime.name === 'bun') expect(result.sharing).toBe(false)
    expect(result.connections).toBe(result.sharing ? 1 : 2)
  })

  test('readTimeout drops a stalled stream and resumes it with Last-Event-ID', async () => {
    install(base('readTimeout'), { '/stream': perAttempt(held('retry: 20\nid: s1\ndata: before\n\n'), echoLastEventId) })
    const result = resultOf(await runScenario(runtime, 'readTimeout', base('readTimeout')))
    expect(result.events).toEqual([
      open,
      message('before', 's1'),
      errorEvent({ readyState: 0, kind: 'timeout', retrying: true }),
      open,
      message('s1', 's1'),
    ])
    // readTimeout is 400 ms; timers may fire a few ms early against Date.now().
    expect(result.silentMs).toBeGreaterThanOrEqual(380)
    expect(result.silentMs).toBeLessThan(5000)
    expect(server.requestsTo(`${base('readTimeout')}/stream`).map(lastEventIdOf)).toEqual([undefined, 's1'])
  })
})
