/**
 * Every extension of ours (headers, method and body, lastEventId, backoff, readTimeout, error
 * details, maxEventSize, shouldRetry, signal) in a page, from the browser script and from the ES
 * module build. The client side of each scenario is in ../fixtures/extension-scenarios.js.
 */
import { waitFor } from '../../helpers/recorder'
import { perAttempt, startStream, type RecordedRequest, type RouteHandler } from '../../helpers/server'
import { ended, held, js } from '../site'
import type { Suite } from './context'

/** Answers `data: <value of each header, or ->` joined by |; ends with `retry: 20` or holds. */
function echoHeaders(names: string[], { end }: { end: boolean }): RouteHandler {
  return (req, res) => {
    const values = names.map((name) => {
      const value = req.headers[name]
      return value === undefined ? '-' : String(value)
    })
    const body = `retry: 20\ndata: ${values.join('|')}\n\n`
    if (end) startStream(res).end(body)
    else startStream(res).write(body)
  }
}

/** Remembers when each request of a route arrived, for checks of the waits between attempts. */
function timed(handler: RouteHandler, arrivals: number[]): RouteHandler {
  return (req, res, request) => {
    arrivals.push(Date.now())
    return handler(req, res, request)
  }
}

const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i])

export const extensionSuite: Suite = (ctx) => {
  describe.each([
    ['iife', 'the browser script'],
    ['esm', 'the ES module build'],
  ] as const)('extensions in a page, ours from %s (%s)', (impl, _label) => {
    beforeAll(async () => {
      await ctx.scenarioPage()
    })

    /** Serves `handler` at the scenario's path and runs the scenario in the page. */
    async function run(name: string, handler: RouteHandler): Promise<{ result: unknown; requests: RecordedRequest[]; base: string }> {
      const base = `/ext/${ctx.engine.name}/${name}/${impl}`
      ctx.server.route(base, handler)
      const result = await ctx.page.evaluate(`extensionScenarios.scenarios[${js(name)}](api(${js(impl)}), ${js(ctx.server.url(base))})`)
      return { result, requests: ctx.server.requestsTo(base), base }
    }

    test('headers: static headers go with every attempt', async () => {
      const { result, requests } = await run(
        'headersStatic',
        perAttempt(echoHeaders(['authorization', 'x-client'], { end: true }), echoHeaders(['authorization', 'x-client'], { end: false })),
      )
      expect(result).toEqual(['Bearer static-token|page', 'Bearer static-token|page'])
      expect(requests.map((r) => r.headers.authorization)).toEqual(['Bearer static-token', 'Bearer static-token'])
    })

    test('headers: a function is called before every attempt, and its headers go with that attempt', async () => {
      const { result } = await run(
        'headersFunction',
        perAttempt(echoHeaders(['x-attempt'], { end: true }), echoHeaders(['x-attempt'], { end: false })),
      )
      expect(result).toEqual({ data: ['1', '2'], calls: 2 })
    })

    test('headers: a Headers object works as the headers option', async () => {
      const { result } = await run('headersObject', echoHeaders(['x-client'], { end: false }))
      expect(result).toEqual(['headers-object'])
    })

    test('method and body: the body is sent again with every attempt', async () => {
      const echo =
        (end: boolean): RouteHandler =>
        (_req, res, request) => {
          const body = `retry: 20\ndata: ${request.method} ${request.body}\n\n`
          if (end) startStream(res).end(body)
          else startStream(res).write(body)
        }
      const { result, requests } = await run('methodBody', perAttempt(echo(true), echo(false)))
      expect(result).toEqual(['POST {"q":"hi"}', 'POST {"q":"hi"}'])
      expect(requests.map((r) => r.headers['content-type'])).toEqual(['application/json', 'application/json'])
    })

    test('lastEventId option: the first request already sends Last-Event-ID', async () => {
      const { result } = await run('lastEventIdOption', echoHeaders(['last-event-id'], { end: false }))
      expect(result).toMatchObject({ type: 'message', data: 'resume-7' })
    })

    test('backoff: a strategy function chooses each wait from the attempt count and the reconnection time', async () => {
      const arrivals: number[] = []
      const { result } = await run('backoffFunction', timed(ended('retry: 10\n\n'), arrivals))
      expect(result).toEqual({
        calls: [
          [1, 10],
          [2, 10],
          [3, 10],
        ],
        delays: [40, 70, 100],
      })
      // The waits really happened (timers never fire early; 5 ms of slack for clock granularity).
      const [first, second] = gaps(arrivals)
      expect(first).toBeGreaterThanOrEqual(35)
      expect(second).toBeGreaterThanOrEqual(65)
    })

    test('backoff: exponentialBackoff multiplies the wait by its factor up to its max', async () => {
      const { result } = await run('backoffExponential', ended('retry: 10\n\n'))
      expect(result).toEqual([10, 30, 90, 100])
    })

    test("backoff: constantBackoff always waits the server's retry: time", async () => {
      const { result } = await run('backoffConstant', ended('retry: 25\n\n'))
      expect(result).toEqual([25, 25, 25])
    })

    test('readTimeout: a stream silent for readTimeout ms is dropped with a timeout error and reconnected', async () => {
      const { result } = (await run('readTimeout', perAttempt(held('retry: 20\ndata: one\n\n'), held('data: two\n\n')))) as {
        result: { log: { type: string; data?: string }[]; errors: Record<string, unknown>[] }
      }
      expect(result.log.map((e) => e.data ?? e.type)).toEqual(['open', 'one', 'error', 'open', 'two'])
      expect(result.errors).toHaveLength(1)
      // `status` only says what was wrong with a response; this one was fine.
      expect(result.errors[0]).toMatchObject({ kind: 'timeout', status: undefined, message: 'read timeout after 150 ms', readyState: 0 })
      expect(result.errors[0].retryDelay).toBeGreaterThanOrEqual(20)
    })

    test('readTimeout: comment lines count as activity, so a heartbeat keeps the connection', async () => {
      const heartbeat: RouteHandler = async (_req, res) => {
        startStream(res)
        for (let i = 0; i < 8 && !res.destroyed; i++) {
          res.write(':\n')
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        if (!res.destroyed) res.write('data: alive\n\n')
      }
      const { result, requests } = await run('readTimeoutHeartbeat', heartbeat)
      expect(result).toEqual({
        log: [expect.objectContaining({ type: 'open' }), expect.objectContaining({ type: 'message', data: 'alive' })],
        errors: [],
      })
      expect(requests).toHaveLength(1)
    })

    test('error details: an HTTP error status gives kind http, the status, the headers and a message, and closes', async () => {
      const { result } = await run('errorHttp', (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/event-stream', 'x-reason': 'maintenance', 'access-control-expose-headers': 'x-reason' })
        res.end()
      })
      expect((result as { errors: unknown[] }).errors).toEqual([
        {
          type: 'error',
          readyState: 2,
          isErrorEvent: true,
          isEvent: true,
          kind: 'http',
          status: 503,
          message: 'HTTP 503 Service Unavailable',
          retryDelay: undefined,
          headerXReason: 'maintenance',
          causeName: 'undefined',
        },
      ])
    })

    test('error details: a wrong content type gives kind content-type, naming the type it got', async () => {
      const { result } = await run('errorContentType', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'))
      const [error] = (result as { errors: Record<string, unknown>[] }).errors
      expect(error).toMatchObject({ kind: 'content-type', status: 200, readyState: 2, retryDelay: undefined, isErrorEvent: true })
      expect(error.message).toContain('text/html')
    })

    test('error details: a connection dropped before any response gives kind network with the TypeError as cause, and a retry delay', async () => {
      const { result } = await run('errorNetwork', (req) => void req.socket.destroy())
      const [error] = (result as { errors: Record<string, unknown>[] }).errors
      expect(error).toMatchObject({ kind: 'network', status: undefined, readyState: 0, causeName: 'TypeError', isErrorEvent: true })
      expect(error.retryDelay).toBeGreaterThanOrEqual(10000)
      expect(error.message).toMatch(/^network error: /)
    })

    test('error details: the end of the stream gives kind end, no status (the response was fine) and a retry delay', async () => {
      const { result } = await run('errorEnd', ended('data: once\n\n'))
      const [error] = (result as { errors: Record<string, unknown>[] }).errors
      expect(error).toMatchObject({
        kind: 'end',
        status: undefined,
        readyState: 0,
        message: 'the server ended the stream',
        isErrorEvent: true,
      })
      expect(error.retryDelay).toBeGreaterThanOrEqual(10000)
    })

    test('maxEventSize: an unfinished line that grows past the bound fails the connection with kind event-size', async () => {
      const { result } = await run('maxEventSize', held(`data: ${'x'.repeat(100)}`))
      const [error] = (result as { errors: Record<string, unknown>[] }).errors
      expect(error).toMatchObject({ kind: 'event-size', status: undefined, readyState: 2, retryDelay: undefined, isErrorEvent: true })
    })

    test('shouldRetry: true for a 503 reconnects instead of failing, with the failure and the attempt count', async () => {
      const unavailable: RouteHandler = (_req, res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end()
      const { result, requests } = await run('shouldRetryOn503', perAttempt(unavailable, unavailable, held('data: ok\n\n')))
      const { failures, errors, data } = result as { failures: unknown[]; errors: Record<string, unknown>[]; data: string[] }
      expect(failures).toEqual([
        { kind: 'http', status: 503, attempt: 1, message: 'HTTP 503 Service Unavailable' },
        { kind: 'http', status: 503, attempt: 2, message: 'HTTP 503 Service Unavailable' },
      ])
      expect(errors.map((e) => [e.kind, e.readyState, e.retryDelay])).toEqual([
        ['http', 0, 10],
        ['http', 0, 10],
      ])
      expect(data).toEqual(['ok'])
      expect(requests).toHaveLength(3)
    })

    test('shouldRetry: false closes the source where the spec would reconnect', async () => {
      const { result, requests } = await run('shouldRetryFalse', ended('data: once\n\n'))
      const { errors } = result as { errors: Record<string, unknown>[] }
      expect(errors).toEqual([expect.objectContaining({ kind: 'end', readyState: 2, retryDelay: undefined })])
      expect(requests).toHaveLength(1)
    })

    test('signal: aborting it closes the source at once, without an error event, and ends the request', async () => {
      let closed = false
      const { result } = await run('signalAbort', (_req, res) => {
        res.on('close', () => (closed = true))
        startStream(res).write('data: 1\n\ndata: 2\n\n')
      })
      expect(result).toEqual([
        expect.objectContaining({ type: 'open' }),
        expect.objectContaining({ type: 'message', data: '1' }),
        { aborted: 2 },
      ])
      await waitFor(() => closed, { message: 'the server to see the request ended' })
    })

    test('signal: an already aborted signal gives a CLOSED source that never connects', async () => {
      const { result, requests } = await run('signalAborted', held('data: x\n\n'))
      expect(result).toEqual({ readyState: 2, events: [] })
      expect(requests).toHaveLength(0)
    })
  })
}
