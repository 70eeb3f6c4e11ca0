/**
 * Storms: a server that fails 1,000 times in a row, in every way it can, with a tiny reconnection
 * time. The source retries each time with the configured backoff — never sooner than the
 * reconnection time, never beyond the strategy's bound — counts the consecutive failures it hands
 * to shouldRetry, and does not pile up listeners or sockets. (Heap growth across a storm is
 * measured in the gc-enabled child process of leaks-node.test.ts.)
 */
import { getEventListeners } from 'node:events'
import { EventSource, type EventSourceErrorEvent, exponentialBackoff, type ConnectionFailure } from '../src'
import { startFaultServer, status, stream, wrongContentType, type FaultHandler, type FaultServer } from './helpers/fault-server'
import { waitFor } from './helpers/recorder'

let server: FaultServer
const sources: EventSource[] = []

beforeAll(async () => {
  server = await startFaultServer()
})
afterEach(() => sources.splice(0).forEach((source) => source.close()))
afterAll(() => server.close())

/** Fails in turn in every way there is: statuses, a reset, an empty stream, a wrong type, a cut. */
const FAULTS: [string, FaultHandler][] = [
  ['http', status(500)],
  ['http', status(502)],
  ['http', status(503)],
  ['http', status(429)],
  ['network', (ctx) => ctx.socket.resetAndDestroy()],
  ['end', stream('retry: 1\n\n', { then: 'end' })],
  ['content-type', wrongContentType('text/plain')],
  ['network', stream('retry: 1\ndata: half', { then: 'cut' })],
]

function socketCount(): number {
  return process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length
}

test('1,000 failures in a row are each retried with a backoff delay within the configured bounds, without growing listeners or sockets', async () => {
  server.route('/storm', (ctx) => FAULTS[ctx.request.attempt % FAULTS.length][1](ctx))
  const controller = new AbortController()
  const attempts: number[] = []
  const MAX = 3
  const JITTER = 0.5
  const source = new EventSource(server.url('/storm'), {
    retryDelay: 1,
    backoff: exponentialBackoff({ max: MAX, jitter: JITTER }),
    shouldRetry: (failure: ConnectionFailure) => {
      attempts.push(failure.attempt)
      return true
    },
    signal: controller.signal,
  })
  sources.push(source)
  const errors: { kind: string; retryDelay: number | undefined }[] = []
  let listenersAt100 = -1
  let socketsAt100 = -1
  let socketsAt1000 = -1
  source.onerror = (event) => {
    const { kind, retryDelay } = event as EventSourceErrorEvent
    errors.push({ kind, retryDelay })
    if (errors.length === 100) {
      listenersAt100 = getEventListeners(controller.signal, 'abort').length
      socketsAt100 = socketCount()
    }
    if (errors.length === 1000) {
      socketsAt1000 = socketCount()
      source.close()
    }
  }
  await waitFor(() => errors.length >= 1000 || source.readyState === EventSource.CLOSED, {
    timeoutMs: 25_000,
    message: '1,000 failures',
    describe: () => errors.length,
  })

  expect(errors).toHaveLength(1000)
  // Every kind of failure came round, and every one was retried.
  expect(errors.slice(0, FAULTS.length).map((e) => e.kind)).toEqual(FAULTS.map(([kind]) => kind))
  expect(errors.filter((e) => e.retryDelay === undefined)).toEqual([])
  // shouldRetry saw the consecutive count climb: nothing in the storm looked healthy.
  expect(attempts).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
  // The delay before attempt n+1: the base min(MAX, 1 × 2^(n−1)) plus up to JITTER of it, and
  // never under the reconnection time of 1 ms.
  const outOfBounds = errors
    .map((e, i) => {
      const base = Math.min(MAX, 2 ** i)
      return { n: i + 1, delay: e.retryDelay!, low: Math.max(1, Math.floor(base)), high: Math.ceil(base * (1 + JITTER)) }
    })
    .filter(({ delay, low, high }) => delay < low || delay > high)
  expect(outOfBounds).toEqual([])
  // The delays were really waited: 1,000 requests, not more.
  expect(server.requestsTo('/storm').length).toBeLessThanOrEqual(1001)
  // One listener on the signal, the source's own, however many connections came and went.
  expect(listenersAt100).toBe(1)
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  // Sockets do not pile up: about as many at the 1,000th failure as at the 100th.
  expect(socketsAt1000).toBeLessThanOrEqual(socketsAt100 + 4)
}, 30_000)
