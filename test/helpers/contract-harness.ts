/**
 * A small harness for the contract tests (test/contract-*.test.ts), which restate the behaviour
 * checked by LaunchDarkly's SSE contract test suite in our own words. Their suite drives an SSE
 * client through a test service and a mock stream endpoint whose connections the test feeds by
 * hand; here the stream endpoint is a loopback node:http route whose connections the test feeds
 * (send, send in chunks, break), and the client is our EventSource in the same process.
 */
import type { ServerResponse } from 'node:http'
import { EventSource, type EventSourceErrorEvent, type EventSourceInit } from '../../src'
import { waitFor } from './recorder'
import { startServer, type RecordedRequest, type TestServer } from './server'

/** The path of the hand-fed stream endpoint. */
export const STREAM_PATH = '/stream'

/** One connection the stream endpoint accepted, which the test writes to. */
export interface StreamConnection {
  /** The request as the server received it (method, headers, body). */
  request: RecordedRequest
  /** Writes text (as UTF-8) or raw bytes as one chunk. */
  send(data: string | Buffer): void
  /**
   * Writes `data`'s bytes `size` at a time, pausing `gapMs` between writes so that each piece
   * leaves as its own chunk (0 = yield to the event loop only). Resolves once all are written.
   */
  sendInChunks(data: string | Buffer, size: number, gapMs?: number): Promise<void>
  /** Ends the response cleanly (the stream's end), as the contract suite's "break connection". */
  breakConnection(): void
  /** Destroys the socket mid-stream (an abrupt network failure). */
  resetConnection(): void
  /** Whether the response has ended or its socket closed. */
  readonly finished: boolean
}

/** An event as the contract suite compares them: type, data and the event's lastEventId. */
export interface ContractEvent {
  type: string
  data: string
  id: string
}

/** What a test expects of one event; type defaults to `message` and id to `''`. */
export interface ExpectedEvent {
  type?: string
  data: string
  id?: string
}

/**
 * Our EventSource with a queue of what it dispatched, read in order like the contract suite's
 * "require event" calls: each `nextEvent`/`requireEvents` consumes from a cursor.
 */
export class ContractClient {
  readonly source: EventSource
  readonly events: ContractEvent[] = []
  readonly errors: EventSourceErrorEvent[] = []
  opens = 0
  #cursor = 0

  constructor(url: string, init: EventSourceInit | undefined, eventTypes: string[]) {
    this.source = new EventSource(url, init)
    for (const type of new Set(['message', ...eventTypes])) {
      this.source.addEventListener(type, (event: MessageEvent) => {
        this.events.push({ type: event.type, data: String(event.data), id: event.lastEventId })
      })
    }
    this.source.addEventListener('error', (event) => {
      this.errors.push(event as EventSourceErrorEvent)
    })
    this.source.addEventListener('open', () => {
      this.opens += 1
    })
  }

  /** Waits for the next event not yet consumed, and consumes it. */
  async nextEvent(timeoutMs = 5000): Promise<ContractEvent> {
    const index = this.#cursor
    await waitFor(() => this.events.length > index, {
      timeoutMs,
      message: `event #${index + 1}`,
      describe: () => ({ events: this.events.slice(index).map(brief), errors: this.errors.map((e) => e.message) }),
    })
    this.#cursor += 1
    return this.events[index]
  }

  /** Waits for the next `expected.length` events and checks they are exactly these, in order. */
  async requireEvents(...expected: ExpectedEvent[]): Promise<void> {
    const actual: ContractEvent[] = []
    for (let i = 0; i < expected.length; i += 1) actual.push(await this.nextEvent())
    expect(actual).toEqual(expected.map((e) => ({ type: e.type ?? 'message', data: e.data, id: e.id ?? '' })))
  }

  /** Events dispatched but not consumed yet. */
  get unconsumed(): ContractEvent[] {
    return this.events.slice(this.#cursor)
  }

  /** Waits for the `n`-th error event (1-based) and returns it. */
  async requireError(n = this.errors.length + 1, timeoutMs = 5000): Promise<EventSourceErrorEvent> {
    await waitFor(() => this.errors.length >= n, { timeoutMs, message: `error event #${n}` })
    return this.errors[n - 1]
  }
}

function brief(event: ContractEvent): ContractEvent {
  return event.data.length > 80 ? { ...event, data: `${event.data.slice(0, 40)}… (${event.data.length} chars)` } : event
}

/** The stream endpoint, the server it lives on, and the clients of one test. */
export interface ContractHarness {
  /** The loopback server; add routes for redirects, statuses, …. */
  readonly server: TestServer
  /** The URL of the hand-fed stream endpoint. */
  readonly streamUrl: string
  /** Every connection the stream endpoint accepted, in arrival order. */
  readonly connections: StreamConnection[]
  /** Waits until the stream endpoint has accepted connection number `index` (0-based). */
  awaitConnection(index: number, timeoutMs?: number): Promise<StreamConnection>
  /** Starts a client on `url` (the stream endpoint by default), listening for `eventTypes` too. */
  startClient(init?: EventSourceInit, eventTypes?: string[], url?: string): ContractClient
  /**
   * The contract suite's "new stream and SSE client": starts a client on the stream endpoint and
   * waits for its first connection.
   */
  streamAndClient(init?: EventSourceInit, eventTypes?: string[]): Promise<{ stream: StreamConnection; client: ContractClient }>
}

/**
 * Registers beforeEach/afterEach hooks that give every test a fresh server with a hand-fed stream
 * endpoint, and close every client and connection after it.
 */
export function useContractHarness(): ContractHarness {
  let server: TestServer | undefined
  let connections: StreamConnection[] = []
  let clients: ContractClient[] = []

  beforeEach(async () => {
    connections = []
    clients = []
    const accepted = connections
    server = await startServer({
      [STREAM_PATH]: (_req, res, request) => {
        // Headers as the contract suite's stream endpoint writes them.
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-store, must-revalidate',
        })
        res.flushHeaders()
        accepted.push(streamConnection(res, request))
      },
    })
  })

  afterEach(async () => {
    clients.forEach((client) => client.source.close())
    await server?.close()
    server = undefined
  })

  const current = (): TestServer => {
    if (!server) throw new Error('the contract harness is only available inside a test')
    return server
  }

  const harness: ContractHarness = {
    get server() {
      return current()
    },
    get streamUrl() {
      return current().url(STREAM_PATH)
    },
    get connections() {
      return connections
    },
    async awaitConnection(index, timeoutMs = 5000) {
      await waitFor(() => connections.length > index, {
        timeoutMs,
        message: `stream connection #${index + 1}`,
        describe: () => ({ connections: connections.length, requests: current().requests.map((r) => `${r.method} ${r.url}`) }),
      })
      return connections[index]
    },
    startClient(init, eventTypes = [], url) {
      const client = new ContractClient(url ?? harness.streamUrl, init, eventTypes)
      clients.push(client)
      return client
    },
    async streamAndClient(init, eventTypes) {
      const client = harness.startClient(init, eventTypes)
      const stream = await harness.awaitConnection(0)
      return { stream, client }
    },
  }
  return harness
}

function streamConnection(res: ServerResponse, request: RecordedRequest): StreamConnection {
  const writable = () => !res.destroyed && !res.writableEnded
  return {
    request,
    send(data) {
      if (writable()) res.write(data)
    },
    async sendInChunks(data, size, gapMs = 1) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
      for (let at = 0; at < bytes.length; at += size) {
        if (!writable()) return
        res.write(bytes.subarray(at, at + size))
        if (at + size < bytes.length) await pause(gapMs)
      }
    },
    breakConnection() {
      if (writable()) res.end()
    },
    resetConnection() {
      res.socket?.destroy()
    },
    get finished() {
      return !writable()
    },
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))
}
