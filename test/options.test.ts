import { EventSource, type EventSourceInit } from '../src'
import { startServer, streamAndHold, type TestServer } from './helpers/server'
import { waitFor } from './helpers/recorder'

let server: TestServer
const sources: EventSource[] = []
function open(init?: unknown): EventSource {
  const source = new EventSource(server.url('/s'), init as EventSourceInit)
  sources.push(source)
  return source
}

beforeAll(async () => {
  server = await startServer({ '/s': streamAndHold(':\n') })
})
afterEach(() => sources.splice(0).forEach((source) => source.close()))
afterAll(() => server.close())

describe('extension: options are checked at construction, and the error names the option', () => {
  test.each([
    ['retryDelay', '10'],
    ['resetAfter', true],
    ['readTimeout', '5s'],
    ['maxEventSize', 1n],
  ])('a non-number %s throws a TypeError naming it', (name, value) => {
    expect(() => open({ [name]: value })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(`\`${name}\``) }),
    )
  })

  test.each([
    ['retryDelay', -1],
    ['retryDelay', Number.NaN],
    ['retryDelay', Number.POSITIVE_INFINITY],
    ['resetAfter', -10],
    ['readTimeout', 0],
    ['readTimeout', 2 ** 31],
    ['maxEventSize', 0],
  ])('%s = %p throws a RangeError naming it', (name, value) => {
    expect(() => open({ [name]: value })).toThrow(
      expect.objectContaining({ name: 'RangeError', message: expect.stringContaining(`\`${name}\``) }),
    )
  })

  test.each(['backoff', 'shouldRetry', 'fetch', 'onComment'])('a non-function %s throws a TypeError naming it', (name) => {
    expect(() => open({ [name]: 42 })).toThrow(new RegExp(`\`${name}\` must be a function`))
  })

  test('a non-boolean networkAware throws a TypeError naming it', () => {
    expect(() => open({ networkAware: 1 })).toThrow(/`networkAware` must be a boolean/)
  })

  test('headers of a wrong type throw a TypeError naming `headers`', () => {
    expect(() => open({ headers: 'Authorization: x' })).toThrow(/invalid `headers`/)
    expect(() => open({ headers: [['only-name']] })).toThrow(/invalid `headers`/)
    expect(() => open({ headers: 42 })).toThrow(/invalid `headers`/)
  })

  test('no options, undefined and null all mean the defaults', () => {
    for (const init of [undefined, null, {}]) expect(open(init).readyState).toBe(EventSource.CONNECTING)
  })

  test('a second argument that is not an object throws a TypeError', () => {
    expect(() => open('withCredentials')).toThrow(/options object/)
    expect(() => open(5)).toThrow(TypeError)
  })

  test('a getter that throws is reported as a TypeError naming the option, with the cause', () => {
    const init = {
      get headers(): never {
        throw new Error('boom')
      },
    }
    let thrown: unknown
    try {
      open(init)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as Error).message).toContain('`headers` threw')
    expect(((thrown as Error).cause as Error).message).toBe('boom')
  })

  test('options inherited from a polluted Object.prototype are ignored', async () => {
    const proto = Object.prototype as Record<string, unknown>
    proto.method = 'DELETE'
    proto.headers = { 'X-Polluted': 'yes' }
    proto.readTimeout = 'nonsense'
    try {
      const source = open({})
      await waitFor(() => source.readyState === EventSource.OPEN)
      const request = server.requests.at(-1)!
      expect(request.method).toBe('GET')
      expect(request.headers['x-polluted']).toBeUndefined()
    } finally {
      delete proto.method
      delete proto.headers
      delete proto.readTimeout
    }
  })

  test('options from a class instance (own or inherited from a non-Object prototype) are read', async () => {
    class Options {
      get headers(): Record<string, string> {
        return { 'X-From-Class': '1' }
      }
    }
    const source = open(new Options())
    await waitFor(() => source.readyState === EventSource.OPEN)
    expect(server.requests.at(-1)!.headers['x-from-class']).toBe('1')
  })
})
