import { EventSource } from '../src'
import { startServer, streamAndHold, type TestServer } from './helpers/server'

let server: TestServer
const sources: EventSource[] = []
function open(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]): EventSource {
  const source = new EventSource(url, init)
  sources.push(source)
  return source
}

beforeAll(async () => {
  server = await startServer({ '/stream': streamAndHold(':\n') })
})
afterEach(() => sources.splice(0).forEach((source) => source.close()))
afterAll(() => server.close())

describe('new EventSource(url) (HTML § 9.2.2 constructor)', () => {
  test('sets url to the parsed URL (constructor step 5)', () => {
    const source = open(`${server.origin}/stream?x=1#frag`)
    expect(source.url).toBe(`${server.origin}/stream?x=1#frag`)
    expect(open(`${server.origin}/a/../stream`).url).toBe(`${server.origin}/stream`)
  })

  test('accepts a URL object and stringifies it', () => {
    const source = open(new URL('/stream', server.origin))
    expect(source.url).toBe(`${server.origin}/stream`)
  })

  test('throws a SyntaxError DOMException for a URL that does not parse (constructor step 4)', () => {
    for (const bad of ['http://[::1', 'http://exa mple.com/', 'https://']) {
      let thrown: unknown
      try {
        open(bad)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(DOMException)
      expect((thrown as DOMException).name).toBe('SyntaxError')
      expect((thrown as DOMException).message).toContain(JSON.stringify(bad))
    }
  })

  test('deviation outside a document: a relative URL has no base URL to resolve against, so it throws SyntaxError', () => {
    expect(() => open('/stream')).toThrow(expect.objectContaining({ name: 'SyntaxError', message: expect.stringContaining('absolute') }))
  })

  test('readyState starts at CONNECTING', () => {
    expect(open(server.url('/stream')).readyState).toBe(EventSource.CONNECTING)
  })

  test('withCredentials is false by default and true when the init dictionary says so (constructor step 7)', () => {
    expect(open(server.url('/stream')).withCredentials).toBe(false)
    expect(open(server.url('/stream'), { withCredentials: true }).withCredentials).toBe(true)
  })

  test('withCredentials is converted to a boolean as WebIDL does', () => {
    expect(open(server.url('/stream'), { withCredentials: 1 as unknown as boolean }).withCredentials).toBe(true)
    expect(open(server.url('/stream'), { withCredentials: '' as unknown as boolean }).withCredentials).toBe(false)
  })

  test('url, readyState and withCredentials are read-only', () => {
    const source = open(server.url('/stream'))
    expect(() => {
      ;(source as unknown as { readyState: number }).readyState = 2
    }).toThrow(TypeError)
    expect(() => {
      ;(source as unknown as { url: string }).url = 'x'
    }).toThrow(TypeError)
    expect(source.readyState).toBe(0)
  })
})

describe('EventSource interface (HTML § 9.2.2, WebIDL constants)', () => {
  test('CONNECTING, OPEN and CLOSED are 0, 1 and 2 on the class and on instances', () => {
    const source = open(server.url('/stream'))
    expect([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]).toEqual([0, 1, 2])
    expect([source.CONNECTING, source.OPEN, source.CLOSED]).toEqual([0, 1, 2])
    expect(Object.hasOwn(EventSource.prototype, 'OPEN')).toBe(true)
  })

  test('the readyState constants cannot be overwritten', () => {
    expect(() => {
      ;(EventSource as unknown as { OPEN: number }).OPEN = 5
    }).toThrow(TypeError)
    expect(EventSource.OPEN).toBe(1)
  })

  test('is an EventTarget whose string tag is EventSource', () => {
    const source = open(server.url('/stream'))
    expect(source).toBeInstanceOf(EventTarget)
    expect(Object.prototype.toString.call(source)).toBe('[object EventSource]')
  })

  test('onopen, onmessage and onerror start null and keep only functions', () => {
    const source = open(server.url('/stream'))
    expect([source.onopen, source.onmessage, source.onerror]).toEqual([null, null, null])
    const handler = (): void => {}
    source.onmessage = handler
    expect(source.onmessage).toBe(handler)
    source.onmessage = 'not a function' as unknown as null
    expect(source.onmessage).toBeNull()
  })
})
