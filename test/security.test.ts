/**
 * Security: nothing a caller passes can inject a request header; nothing the server sends can
 * either; credentials in `Authorization` and `Cookie` do not follow a redirect to another origin
 * (this is fetch's doing — the tests prove what Node's fetch, the default transport, does);
 * options with a polluted Object.prototype, throwing getters or hostile values do not crash the
 * class; and event types such as `__proto__` or `constructor` are just names.
 */
import { spawn } from 'node:child_process'
import { EventSource, type EventSourceErrorEvent } from '../src'
import { bundleSourceForChild, REPO_ROOT } from './helpers/bundle'
import { redirect, startFaultServer, status, stream } from './helpers/fault-server'
import { settle, waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server, other],
  open,
} = useSharedServers(2, startFaultServer)

describe('header injection', () => {
  const injections: [string, unknown][] = [
    ['a value with CRLF and a second header', { 'x-token': 'abc\r\nx-injected: 1' }],
    ['a value with a lone LF', { 'x-token': 'abc\nx-injected: 1' }],
    ['a value with a lone CR', { 'x-token': 'abc\rx-injected: 1' }],
    ['a value with NUL', { 'x-token': 'abc\0def' }],
    ['a name with CRLF', { 'x-token\r\nx-injected': '1' }],
    ['a name with a colon', { 'x-token: 1\r\nx-injected': '1' }],
    ['a pair in an array', [['authorization', 'Bearer a\r\nx-injected: 1']]],
  ]

  test.each(injections)('%s is refused at construction with a TypeError naming `headers`, and nothing is sent', async (_name, headers) => {
    server.route('/inject', stream('data: x\n\n', { then: 'hold' }))
    const before = server.requestsTo('/inject').length
    expect(() => open('/inject', { headers: headers as Record<string, string> })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('headers') }),
    )
    await settle(30)
    expect(server.requestsTo('/inject')).toHaveLength(before)
  })

  test('CR and LF around a value are stripped as fetch normalises it: they never reach the wire', async () => {
    server.route('/trim', stream('data: x\n\n', { then: 'hold' }))
    const source = open('/trim', { headers: { 'x-token': '\r\n abc \r\n' } })
    await waitFor(() => source.readyState === EventSource.OPEN)
    const [request] = server.requestsTo('/trim')
    expect(request.headers['x-token']).toBe('abc')
    expect(request.headers['x-injected']).toBeUndefined()
  })

  test('a headers function returning a value with CRLF fails that attempt, and no request carries it', async () => {
    server.route('/inject-fn', stream('data: x\n\n', { then: 'hold' }))
    const source = open('/inject-fn', { headers: () => ({ 'x-token': 'abc\r\nx-injected: 1' }), retryDelay: 50 })
    let error: EventSourceErrorEvent | undefined
    source.onerror = (event) => (error ??= event as EventSourceErrorEvent)
    await waitFor(() => error !== undefined)
    source.close()
    expect(error!.message).toContain('headers')
    expect(server.requestsTo('/inject-fn')).toHaveLength(0)
  })

  test('`method` and `lastEventId` cannot smuggle CR or LF either', () => {
    expect(() => open('/inject', { method: 'GET\r\nx-injected: 1' })).toThrow(TypeError)
    expect(() => open('/inject', { lastEventId: '1\r\nx-injected: 1' })).toThrow(TypeError)
  })

  test('an id sent by the server travels back as exactly one Last-Event-ID header, whatever characters it holds', async () => {
    // U+0085 (NEL), U+2028 and U+2029 are line breaks elsewhere, but not in event streams; a
    // header-looking id is just text.
    const id = 'a\u0085b\u2028c\u2029d: x-injected: 1'
    server.route('/id-echo', (ctx) => stream(`retry: 1\nid: ${id}\ndata: x\n\n`, { then: ctx.request.attempt === 0 ? 'end' : 'hold' })(ctx))
    const source = open('/id-echo')
    let messages = 0
    source.onmessage = () => messages++
    await waitFor(() => messages === 2)
    const second = server.requestsTo('/id-echo')[1]
    expect(Buffer.from(second.lastEventId!, 'latin1').toString('utf8')).toBe(id)
    expect(second.headers['x-injected']).toBeUndefined()
  })
})

describe('credentials and cross-origin redirects (what Node fetch does, proven)', () => {
  const secrets = { authorization: 'Bearer secret-token', cookie: 'session=secret' }

  test.each([301, 302, 303, 307, 308])('after a %d to another origin, Authorization and Cookie are not sent there', async (code) => {
    server.route(`/xo/${code}`, redirect(code, other.url(`/landing/${code}`)))
    other.route(`/landing/${code}`, stream('data: landed\n\n', { then: 'hold' }))
    const source = open(`/xo/${code}`, { headers: secrets })
    const data: string[] = []
    source.onmessage = (event) => data.push(event.data)
    await waitFor(() => data.length === 1)
    const [first] = server.requestsTo(`/xo/${code}`)
    const [landing] = other.requestsTo(`/landing/${code}`)
    // The origin that was asked got them; the other origin did not.
    expect([first.headers.authorization, first.headers.cookie]).toEqual([secrets.authorization, secrets.cookie])
    expect([landing.headers.authorization, landing.headers.cookie]).toEqual([undefined, undefined])
  })

  test('nor on the reconnection that follows, nor on a redirect back to the first origin', async () => {
    server.route('/xo/back', redirect(307, other.url('/xo/bounce')))
    other.route('/xo/bounce', redirect(307, server.url('/xo/home')))
    server.route('/xo/home', (ctx) => stream('retry: 1\ndata: home\n\n', { then: ctx.request.attempt === 0 ? 'end' : 'hold' })(ctx))
    const source = open('/xo/back', { headers: secrets })
    let messages = 0
    source.onmessage = () => messages++
    await waitFor(() => messages === 2)
    expect(other.requestsTo('/xo/bounce').map((r) => r.headers.authorization ?? null)).toEqual([null, null])
    // Every attempt starts again at the original URL with the credentials.
    expect(server.requestsTo('/xo/back').map((r) => r.headers.authorization)).toEqual([secrets.authorization, secrets.authorization])
  })

  test('a redirect within the same origin keeps them (so the tests above can tell the difference)', async () => {
    server.route('/so/start', redirect(307, '/so/end'))
    server.route('/so/end', stream('data: same\n\n', { then: 'hold' }))
    const source = open('/so/start', { headers: secrets })
    await waitFor(() => source.readyState === EventSource.OPEN)
    const [end] = server.requestsTo('/so/end')
    expect([end.headers.authorization, end.headers.cookie]).toEqual([secrets.authorization, secrets.cookie])
  })

  test('other custom headers DO follow a cross-origin redirect, as fetch specifies: keep secrets in Authorization', async () => {
    server.route('/xo/custom', redirect(307, other.url('/xo/custom-landing')))
    other.route('/xo/custom-landing', stream('data: x\n\n', { then: 'hold' }))
    const source = open('/xo/custom', { headers: { 'x-api-key': 'not-a-secret-then' } })
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(other.requestsTo('/xo/custom-landing')[0].headers['x-api-key']).toBe('not-a-secret-then')
  })
})

describe('hostile options do not crash the class', () => {
  const hostile: Record<string, unknown> = {
    headers: { 'x-polluted': 'yes' },
    method: 'DELETE',
    body: 'polluted body',
    fetch: () => Promise.reject(new Error('polluted fetch')),
    lastEventId: 'polluted-id',
    retryDelay: 123_456,
    readTimeout: 1,
    shouldRetry: () => true,
    backoff: () => 999_999,
    withCredentials: true,
    signal: AbortSignal.abort(),
    maxEventSize: 1,
    resetAfter: 0,
  }

  /** Pollutes Object.prototype while `construct` runs (Node itself breaks if it stays polluted). */
  function withPollutedPrototype<T>(construct: () => T): T {
    const proto = Object.prototype as Record<string, unknown>
    try {
      for (const [name, value] of Object.entries(hostile)) Object.defineProperty(proto, name, { value, configurable: true, writable: true })
      return construct()
    } finally {
      for (const name of Object.keys(hostile)) delete proto[name]
    }
  }

  test.each([
    ['an empty options object', () => ({})],
    ['no options at all', () => undefined],
    ['options with only withCredentials: false', () => ({ withCredentials: false })],
  ])('with a polluted Object.prototype and %s, the source uses none of the polluted values', async (name, options) => {
    const path = `/polluted/${encodeURIComponent(name)}`
    server.route(path, (ctx) =>
      ctx.request.attempt === 0 ? stream('retry: 1\nid: 1\ndata: clean\n\n', { then: 'end' })(ctx) : status(500)(ctx),
    )
    const source = withPollutedPrototype(() => open(path, options()))
    expect(source.withCredentials).toBe(false)
    const log: string[] = []
    source.onmessage = (event) => log.push(`message ${event.data}`)
    source.onerror = (event) => log.push(`error ${(event as EventSourceErrorEvent).kind} ${(event as EventSourceErrorEvent).retryDelay}`)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    // The spec's default policy (not the polluted shouldRetry): the 500 fails the connection.
    expect(log).toEqual(['message clean', 'error end 1', 'error http undefined'])
    const [first] = server.requestsTo(path)
    expect({ method: first.method, body: first.body, polluted: first.headers['x-polluted'], lastEventId: first.lastEventId }).toEqual({
      method: 'GET',
      body: '',
      polluted: undefined,
      lastEventId: undefined,
    })
  })

  const names = [
    'withCredentials',
    'headers',
    'method',
    'body',
    'fetch',
    'lastEventId',
    'retryDelay',
    'backoff',
    'resetAfter',
    'readTimeout',
    'shouldRetry',
    'signal',
    'maxEventSize',
    'networkAware',
    'onComment',
  ]

  test.each(names)('a getter for `%s` that throws makes the constructor throw a TypeError naming it, and sends nothing', async (name) => {
    server.route('/getter', stream('data: x\n\n', { then: 'hold' }))
    const before = server.requestsTo('/getter').length
    const options = Object.defineProperty({}, name, {
      enumerable: true,
      get() {
        throw new Error('boom')
      },
    })
    expect(() => open('/getter', options)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(name) }))
    await settle(20)
    expect(server.requestsTo('/getter')).toHaveLength(before)
  })

  test('getters that throw things that are not errors (a string, null, an object without toString) still make the constructor throw a TypeError, and send nothing', async () => {
    server.route('/getter-odd', stream('data: x\n\n', { then: 'hold' }))
    for (const thrown of ['a string', null, Object.create(null)]) {
      const options = Object.defineProperty({}, 'retryDelay', {
        get() {
          throw thrown
        },
      })
      // Whatever was thrown, even a value with no string form, the message names the option.
      expect(() => open('/getter-odd', options)).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('`retryDelay`') }),
      )
    }
    await settle(20)
    expect(server.requestsTo('/getter-odd')).toHaveLength(0)
  })

  test('a headers object with a throwing getter is refused at construction; a headers function that throws fails only its attempt', async () => {
    const headers = Object.defineProperty({}, 'x-a', {
      enumerable: true,
      get() {
        throw new Error('boom')
      },
    })
    expect(() => open('/getter', { headers })).toThrow(TypeError)

    server.route('/headers-throw', stream('data: finally\n\n', { then: 'hold' }))
    let calls = 0
    const source = open('/headers-throw', {
      retryDelay: 1,
      headers: () => {
        calls++
        if (calls === 1) throw new Error('token service down')
        return { authorization: 'Bearer fresh' }
      },
    })
    const log: string[] = []
    source.onerror = (event) => log.push(`error ${(event as EventSourceErrorEvent).message}`)
    source.onmessage = (event) => log.push(`message ${event.data}`)
    await waitFor(() => log.length === 2)
    expect(log).toEqual([expect.stringContaining('token service down'), 'message finally'])
    expect(server.requestsTo('/headers-throw').map((r) => r.headers.authorization)).toEqual(['Bearer fresh'])
  })

  test('callbacks that throw (shouldRetry, backoff) do not crash the source: it fails or waits the plain delay', async () => {
    server.route('/cb-throw', stream('retry: 5\ndata: x\n\n', { then: 'end' }))
    const a = open('/cb-throw', {
      shouldRetry: () => {
        throw new Error('policy bug')
      },
    })
    const b = open('/cb-throw', {
      backoff: () => {
        throw new Error('backoff bug')
      },
    })
    const errorsOf = (source: EventSource) => {
      const errors: EventSourceErrorEvent[] = []
      source.addEventListener('error', (event) => errors.push(event))
      return errors
    }
    const [ea, eb] = [errorsOf(a), errorsOf(b)]
    await waitFor(() => ea.length === 1 && eb.length === 1)
    b.close()
    expect([a.readyState, ea[0].retryDelay]).toEqual([EventSource.CLOSED, undefined])
    expect(eb[0].retryDelay).toBe(5)
  })

  test('a fetch option that misbehaves in any way ends attempts with error events, never an unhandled rejection or a crash', async () => {
    // In a child process: an unhandled rejection or uncaught exception would end it with a non-zero code.
    const script = `
      const { EventSource } = require(${JSON.stringify(bundleSourceForChild())})
      const hostile = {
        'throws synchronously': () => { throw new Error('sync') },
        'rejects with null': () => Promise.reject(null),
        'rejects with an object without toString': () => Promise.reject(Object.create(null)),
        'resolves to null': async () => null,
        'resolves to an empty object': async () => ({}),
        'resolves to a 200 without headers': async () => ({ status: 200 }),
        'resolves to a body that is not a stream': async () => ({ status: 200, headers: new Headers({ 'content-type': 'text/event-stream' }), body: 42 }),
        'resolves to a status getter that throws': async () => ({ get status() { throw Object.create(null) } }),
        'resolves to a body whose cancel() throws': async () => ({ status: 500, headers: new Headers(), body: { cancel() { throw new Error('cancel') } } }),
        'resolves to a body whose cancel() returns no promise': async () => ({ status: 500, headers: new Headers(), body: { cancel() { return 1 } } }),
      }
      const results = {}
      let pending = 0
      for (const [name, fetch] of Object.entries(hostile)) {
        pending++
        const source = new EventSource('http://127.0.0.1:9/', { fetch, retryDelay: 1 })
        source.onerror = (event) => {
          results[name] = { kind: event.kind, retries: event.retryDelay !== undefined }
          source.close()
          if (--pending === 0) process.stdout.write(JSON.stringify(results))
        }
      }
    `
    const child = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const results = JSON.parse(stdout) as Record<string, { kind: string; retries: boolean }>
    expect(Object.keys(results)).toHaveLength(10)
    for (const result of Object.values(results)) expect(result.kind).toEqual(expect.any(String))
  })
})

describe('event types that are also property names dispatch like any other name', () => {
  const names = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'then']

  test.each(names)('event: %s reaches its listeners, not onmessage, and changes nothing else', async (name) => {
    const path = `/type/${name}`
    server.route(path, stream(`event: ${name}\ndata: payload\n\ndata: after\n\n`, { then: 'hold' }))
    const source = open(path)
    const typed: string[] = []
    const untyped: string[] = []
    source.addEventListener(name, (event: MessageEvent) => typed.push(`${event.type}:${event.data}`))
    source.onmessage = (event) => untyped.push(event.data)
    await waitFor(() => untyped.length === 1)
    expect(typed).toEqual([`${name}:payload`])
    expect(untyped).toEqual(['after'])
    expect(Object.getPrototypeOf(source)).toBe(EventSource.prototype)
    expect(typeof source.close).toBe('function')
  })

  test('event: open and event: error from the server are messages of those types, not state changes', async () => {
    server.route('/type/state-names', stream('event: error\ndata: e\n\nevent: open\ndata: o\n\n', { then: 'hold' }))
    const source = open('/type/state-names')
    const seen: string[] = []
    source.addEventListener('error', (event) =>
      seen.push(`${event.constructor.name}:${(event as unknown as MessageEvent).data}:${source.readyState}`),
    )
    source.addEventListener('open', (event) =>
      seen.push(`${event.constructor.name}:${(event as unknown as MessageEvent).data}:${source.readyState}`),
    )
    await waitFor(() => seen.length === 3)
    expect(seen).toEqual(['Event:undefined:1', 'MessageEvent:e:1', 'MessageEvent:o:1'])
  })
})
