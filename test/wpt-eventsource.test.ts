/**
 * The interface and lifecycle checks of the web-platform-tests `eventsource/eventsource-*` files
 * (constructor, attributes, constants, events, close, reconnection, cancellation), re-expressed
 * against a loopback server. Spec: HTML § 9.2.2–9.2.4
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface).
 */
import { EventSource } from '../src'
import { dataOf, recordEvents, settle, waitFor, type RecordedEvent } from './helpers/recorder'
import { startServer, startStream, type TestServer } from './helpers/server'
import {
  lastEventIdBytes,
  lastEventIdHandler,
  messageHandler,
  reconnectFailHandler,
  statusReconnectHandler,
  freshPath,
} from './helpers/wpt-handlers'
import { useSharedServers } from './helpers/per-test'

/** Two servers: another port on the loopback host is another origin. */
const {
  servers: [server, other],
  open,
} = useSharedServers(2, () => startServer())

function summary(events: RecordedEvent[]): unknown {
  return events.map((e) => [e.type, e.data, e.readyState])
}

/** A message.py-style route on a fresh path of `on` (default: the main server); returns its URL. */
function messageUrl(name: string, on: TestServer = server, options?: Parameters<typeof messageHandler>[0]): string {
  const path = freshPath(name)
  on.route(path, messageHandler(options))
  return on.url(path)
}

function thrownBy(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

function expectSyntaxError(action: () => unknown): void {
  const error = thrownBy(action)
  expect(error).toBeInstanceOf(DOMException)
  expect((error as DOMException).name).toBe('SyntaxError')
}

/** A plain event as the spec fires it for open and error: no data, no bubbling, not cancelable. */
function expectSimpleEvent(event: Event): void {
  expect(event).not.toBeInstanceOf(MessageEvent)
  expect(Object.hasOwn(event, 'data')).toBe(false)
  expect(event.bubbles).toBe(false)
  expect(event.cancelable).toBe(false)
}

describe('eventsource-constructor-url-bogus (WPT)', () => {
  test('throws a SyntaxError DOMException for a URL that does not parse', () => {
    expectSyntaxError(() => new EventSource('http://this is invalid/'))
  })
})

describe('eventsource-constructor-no-new (WPT, dedicated-worker folder)', () => {
  test('throws a TypeError when called without new', () => {
    const call = EventSource as unknown as (url: string) => unknown
    expect(thrownBy(() => call(server.url('/no-new')))).toBeInstanceOf(TypeError)
  })
})

/**
 * WPT resolves "" and relative URLs against the document. Node has no document base URL, so the
 * "encoding-parse a URL relative to settings" of constructor step 3 fails and step 4 throws.
 */
describe('eventsource-constructor-empty-url and -stringify (WPT) — Node deviation: no base URL', () => {
  test('throws a SyntaxError for the empty URL in Node, where there is no base URL to resolve against (constructor steps 3–4)', () => {
    expectSyntaxError(() => new EventSource(''))
  })

  test('throws a SyntaxError for a relative URL in Node, where there is no base URL to resolve against (constructor steps 3–4)', () => {
    expectSyntaxError(() => new EventSource('resources/message.py'))
  })

  test('stringifies 1, null and undefined to relative URLs, which throw a SyntaxError in Node (constructor steps 3–4)', () => {
    const make = EventSource as unknown as new (url: unknown) => EventSource
    for (const url of [1, null, undefined]) expectSyntaxError(() => new make(url))
  })
})

describe('eventsource-constructor-stringify (WPT)', () => {
  test('stringifies an object URL argument with its toString()', async () => {
    const url = messageUrl('stringify')
    const make = EventSource as unknown as new (url: unknown) => EventSource
    const source = new make({ toString: () => url })
    try {
      expect(source.url).toBe(url)
      const events = recordEvents(source)
      await waitFor(() => events.some((e) => e.type === 'open'), { message: 'open', describe: () => summary(events) })
      expectSimpleEvent(events[0].event)
    } finally {
      source.close()
    }
  })

  test('accepts a URL object as the url argument', async () => {
    const url = new URL(messageUrl('url-object'))
    const source = open(url)
    expect(source.url).toBe(url.href)
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length > 0, { message: 'a message', describe: () => summary(events) })
    expect(dataOf(events)[0]).toBe('data')
  })
})

describe('eventsource-constructor-non-same-origin (WPT)', () => {
  test.each(['ftp://example.not/', 'about:blank', 'mailto:whatwg@awesome.example', "javascript:alert('FAIL')"])(
    'fails the connection, without reconnecting, for a URL that cannot be fetched over HTTP (%s)',
    async (url) => {
      const source = open(url, { retryDelay: 10 })
      const events = recordEvents(source)
      await waitFor(() => events.length > 0, { message: 'the first event' })
      await settle(150)
      expect(events.map((e) => [e.type, e.readyState])).toEqual([['error', source.CLOSED]])
      expectSimpleEvent(events[0].event)
    },
  )
})

describe('eventsource-url (WPT)', () => {
  test('reflects the parsed and serialized URL in the url attribute', () => {
    const path = freshPath('url')
    server.route(path, messageHandler())
    const source = open(`HTTP://127.0.0.1:${server.port}/a/../${path.slice(1)}?x=1`)
    expect(source.url).toBe(`${server.url(path)}?x=1`)
    source.close()
  })
})

describe('eventsource-readyState (WPT)', () => {
  test('is CONNECTING after construction, OPEN in onopen and CLOSED right after close()', async () => {
    const source = open(messageUrl('ready-state'))
    expect(source.readyState).toBe(EventSource.CONNECTING)
    let inOpen: number | undefined
    source.onopen = () => {
      inOpen = source.readyState
    }
    await waitFor(() => inOpen !== undefined, { message: 'open' })
    expect(inOpen).toBe(EventSource.OPEN)
    source.close()
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('is CLOSED right after close() while still connecting', () => {
    const source = open(messageUrl('ready-state-early'))
    source.close()
    expect(source.readyState).toBe(EventSource.CLOSED)
  })
})

describe('interfaces (WPT IDL) and eventsource-prototype (WPT)', () => {
  test('has CONNECTING 0, OPEN 1 and CLOSED 2 on the class, the prototype and instances', () => {
    const source = open(messageUrl('constants'))
    for (const target of [EventSource, EventSource.prototype, source] as unknown as Record<string, unknown>[]) {
      expect([target.CONNECTING, target.OPEN, target.CLOSED]).toEqual([0, 1, 2])
    }
  })

  test('defines the constants as read-only, non-configurable properties of the class and the prototype (WebIDL constants)', () => {
    for (const target of [EventSource, EventSource.prototype]) {
      for (const name of ['CONNECTING', 'OPEN', 'CLOSED']) {
        const descriptor = Object.getOwnPropertyDescriptor(target, name)
        expect({ name, writable: descriptor?.writable, configurable: descriptor?.configurable }).toEqual({
          name,
          writable: false,
          configurable: false,
        })
      }
    }
  })

  test('exposes url, withCredentials and readyState as read-only accessors on the prototype (WebIDL attributes)', () => {
    for (const name of ['url', 'withCredentials', 'readyState']) {
      const descriptor = Object.getOwnPropertyDescriptor(EventSource.prototype, name)
      expect({ name, get: typeof descriptor?.get, set: descriptor?.set }).toEqual({ name, get: 'function', set: undefined })
    }
  })

  test('has onopen, onmessage and onerror handler attributes that start as null', () => {
    const source = open(messageUrl('handlers'))
    expect([source.onopen, source.onmessage, source.onerror]).toEqual([null, null, null])
    for (const name of ['onopen', 'onmessage', 'onerror']) {
      const descriptor = Object.getOwnPropertyDescriptor(EventSource.prototype, name)
      expect({ name, get: typeof descriptor?.get, set: typeof descriptor?.set }).toEqual({ name, get: 'function', set: 'function' })
    }
  })

  test('is an EventTarget with a close() method', () => {
    const source = open(messageUrl('event-target'))
    expect(source).toBeInstanceOf(EventTarget)
    expect(typeof EventSource.prototype.close).toBe('function')
  })

  test('lets instances use methods added to EventSource.prototype', () => {
    const proto = EventSource.prototype as unknown as Record<string, unknown>
    proto.returnTrue = function () {
      return true
    }
    try {
      const source = open(messageUrl('prototype')) as unknown as { returnTrue(): boolean }
      expect(source.returnTrue()).toBe(true)
    } finally {
      delete proto.returnTrue
    }
  })
})

describe('withCredentials attribute (WPT interfaces, request-credentials)', () => {
  test('reflects the withCredentials option, false by default', () => {
    expect(open(messageUrl('wc-default')).withCredentials).toBe(false)
    expect(open(messageUrl('wc-false'), { withCredentials: false }).withCredentials).toBe(false)
    expect(open(messageUrl('wc-true'), { withCredentials: true }).withCredentials).toBe(true)
  })
})

describe('eventsource-onopen (WPT)', () => {
  test('fires a plain open event, not bubbling and not cancelable, with readyState OPEN', async () => {
    const source = open(messageUrl('onopen'))
    const seen: [Event, number][] = []
    source.onopen = (event) => seen.push([event, source.readyState])
    await waitFor(() => seen.length > 0, { message: 'open' })
    expect(seen[0][1]).toBe(EventSource.OPEN)
    expect(seen[0][0].type).toBe('open')
    expectSimpleEvent(seen[0][0])
  })
})

describe('eventsource-onmessage and eventsource-eventtarget (WPT)', () => {
  test('delivers a message event to onmessage with data, origin and lastEventId', async () => {
    const source = open(messageUrl('onmessage'))
    const seen: MessageEvent[] = []
    source.onmessage = (event) => seen.push(event)
    await waitFor(() => seen.length > 0, { message: 'message' })
    expect(seen[0]).toBeInstanceOf(MessageEvent)
    expect([seen[0].type, seen[0].data, seen[0].origin, seen[0].lastEventId]).toEqual(['message', 'data', server.origin, ''])
    expect(seen[0].bubbles).toBe(false)
    expect(seen[0].cancelable).toBe(false)
  })

  test('delivers the same message to addEventListener("message") listeners and to onmessage', async () => {
    const source = open(messageUrl('eventtarget'))
    const viaListener: Event[] = []
    const viaHandler: Event[] = []
    source.addEventListener('message', (event) => viaListener.push(event))
    source.onmessage = (event) => viaHandler.push(event)
    await waitFor(() => viaListener.length > 0 && viaHandler.length > 0, { message: 'message on both' })
    expect((viaListener[0] as MessageEvent).data).toBe('data')
    expect(viaHandler[0]).toBe(viaListener[0])
  })
})

describe('eventsource-close (WPT)', () => {
  test('stops all events when close() is called in onopen, even for data already received', async () => {
    // The message arrives in the same response as the open; close() must keep it from being dispatched.
    const source = open(messageUrl('close-in-open', server, { message: 'data: one\n\ndata: two' }))
    const events = recordEvents(source)
    source.addEventListener('open', () => source.close())
    await waitFor(() => events.length > 0, { message: 'open' })
    await settle(100)
    expect(events.map((e) => e.type)).toEqual(['open'])
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('reconnects after each end of stream and fails on the 204 that follows (reconnect-fail sequence)', async () => {
    const path = freshPath('reconnect-fail')
    server.route(path, reconnectFailHandler())
    const source = open(server.url(path))
    const events = recordEvents(source)
    await waitFor(() => source.readyState === EventSource.CLOSED, { message: 'CLOSED', describe: () => summary(events) })
    await settle(100)
    const { CONNECTING, OPEN, CLOSED } = EventSource
    expect(events.map((e) => [e.type, e.data, e.readyState])).toEqual([
      ['open', undefined, OPEN],
      ['message', 'opened', OPEN],
      ['error', undefined, CONNECTING],
      ['open', undefined, OPEN],
      ['message', 'reconnected', OPEN],
      ['error', undefined, CONNECTING],
      ['error', undefined, CLOSED],
    ])
    for (const error of events.filter((e) => e.type === 'error')) expectSimpleEvent(error.event)
    expect(server.requestsTo(path)).toHaveLength(3)
  })

  test('does not reconnect when close() is called while waiting to reconnect', async () => {
    const url = messageUrl('close-while-waiting', server, { message: 'retry: 20\ndata: once' })
    const source = open(url)
    const events = recordEvents(source)
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CONNECTING) source.close()
    })
    await waitFor(() => events.some((e) => e.type === 'error'), { message: 'the end of the stream' })
    await settle(150)
    expect(events.map((e) => e.type)).toEqual(['open', 'message', 'error'])
    expect(server.requestsTo(new URL(url).pathname)).toHaveLength(1)
  })
})

describe('eventsource-reconnect (WPT)', () => {
  test('reconnects after a stream that ends without an event and then receives the message', async () => {
    const path = freshPath('status-reconnect')
    server.route(path, statusReconnectHandler({ status: 200 }))
    const source = open(server.url(path))
    const events = recordEvents(source)
    // As WPT's test does: closed on the message, or the next 2 ms reconnection may bring another.
    source.addEventListener('message', () => source.close())
    await waitFor(() => dataOf(events).length > 0, { message: 'a message', describe: () => summary(events) })
    expect(dataOf(events)).toEqual(['data'])
    expect(server.requestsTo(path)).toHaveLength(2)
  })

  test('fires error with readyState CONNECTING between the first and the reconnected message', async () => {
    const path = freshPath('status-reconnect-ok-first')
    server.route(path, statusReconnectHandler({ status: 200, okFirst: true }))
    const source = open(server.url(path))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 2, { message: 'two messages', describe: () => summary(events) })
    const { CONNECTING, OPEN } = EventSource
    expect(events.slice(0, 5).map((e) => [e.type, e.data, e.readyState])).toEqual([
      ['open', undefined, OPEN],
      ['message', 'ok', OPEN],
      ['error', undefined, CONNECTING],
      ['open', undefined, OPEN],
      ['message', 'data', OPEN],
    ])
  })
})

describe('eventsource-cross-origin (WPT, the part observable in Node)', () => {
  test('sets the origin of messages from another origin to that origin', async () => {
    const source = open(messageUrl('cross-origin', other))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length > 0, { message: 'a message', describe: () => summary(events) })
    const message = events.find((e) => e.type === 'message') as RecordedEvent
    expect([message.data, message.origin]).toEqual(['data', other.origin])
  })

  test('reconnects to another origin and keeps its origin on the messages', async () => {
    const path = freshPath('cross-origin-reconnect')
    other.route(path, statusReconnectHandler({ status: 200 }))
    const source = open(other.url(path))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length > 0, { message: 'a message', describe: () => summary(events) })
    const message = events.find((e) => e.type === 'message') as RecordedEvent
    expect([message.data, message.origin]).toEqual(['data', other.origin])
  })
})

describe('eventsource-cross-origin-preflight (WPT, the Last-Event-ID part; preflights are browser-only)', () => {
  test.each([
    ['a short safe id', 'abc'],
    ['a 255-character id', 'a'.repeat(255)],
    ['an id with a CORS-unsafe character', 'e5p3n<3k0k0s'],
  ])('sends %s back unchanged as Last-Event-ID on reconnection', async (_label, id) => {
    const path = freshPath('last-event-id-echo')
    server.route(path, lastEventIdHandler(id, 10))
    const source = open(server.url(path))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 2, { message: 'two messages', describe: () => summary(events) })
    expect(dataOf(events).slice(0, 2)).toEqual(['hello', id])
    expect(lastEventIdBytes(server.requestsTo(path)[1].headers)?.toString('utf8')).toBe(id)
  })
})

/**
 * WPT cancels with window.stop(), which only a browser has (and which fires error and CLOSED).
 * The Node counterpart: close() must abort the request it has in flight.
 */
describe('eventsource-request-cancellation (WPT, via close())', () => {
  test('aborts the request when close() is called before the response arrives', async () => {
    const path = freshPath('cancel-pending')
    let aborted = false
    server.route(path, (_req, res) => {
      // Never answers; only notes when the client gives up on the request.
      res.on('close', () => {
        aborted = !res.writableFinished
      })
    })
    const source = open(server.url(path))
    const events = recordEvents(source)
    await waitFor(() => server.requestsTo(path).length > 0, { message: 'the request' })
    source.close()
    await waitFor(() => aborted, { message: 'the server to see the request aborted' })
    await settle(50)
    expect(events).toEqual([])
  })

  test('aborts the response stream when close() is called while it is open', async () => {
    const path = freshPath('cancel-streaming')
    let aborted = false
    server.route(path, (_req, res) => {
      startStream(res).write('data: first\n\n')
      res.on('close', () => {
        aborted = !res.writableFinished
      })
      // Would keep writing if the client never went away.
      const timer = setInterval(() => res.write('data: more\n\n'), 20)
      res.on('close', () => clearInterval(timer))
    })
    const source = open(server.url(path))
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length > 0, { message: 'the first message' })
    source.close()
    const seen = events.length
    await waitFor(() => aborted, { message: 'the server to see the response aborted' })
    await settle(60)
    expect(events.length).toBe(seen)
  })
})
