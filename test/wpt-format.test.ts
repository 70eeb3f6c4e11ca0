/**
 * The event-stream format checks of the web-platform-tests `eventsource/format-*` and
 * `event-data` files, re-expressed against a loopback server. Each describe block names the WPT
 * file it comes from; the rule is in the test name. Spec: HTML § 9.2.5–9.2.6
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream).
 */
import type { EventSourceErrorEvent } from '../src'
import { dataOf, recordEvents, settle, typesOf, waitFor, type RecordedEvent } from './helpers/recorder'
import { startServer, startStream, type RouteHandler } from './helpers/server'
import {
  freshPath,
  lastEventIdBytes,
  lastEventIdHandler,
  messageHandler,
  trickleHandler,
  type MessageOptions,
} from './helpers/wpt-handlers'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server],
  open,
} = useSharedServers(1, () => startServer())

function summary(events: RecordedEvent[]): unknown {
  return events.map((e) => [e.type, e.data, e.lastEventId, e.readyState])
}

/** Serves `handler` on a fresh path, opens a source on it and waits for `count` message events. */
async function receive(name: string, handler: RouteHandler, count: number, types?: string[]) {
  const path = freshPath(name)
  server.route(path, handler)
  const source = open(server.url(path))
  const events = recordEvents(source, types)
  await waitFor(() => dataOf(events).length >= count, {
    message: `${count} message event(s) from ${path}`,
    describe: () => summary(events),
  })
  return { source, events, path }
}

/** Like `receive`, for a message.py-style route. */
function receiveMessage(name: string, options: MessageOptions, count: number, types?: string[]) {
  return receive(name, messageHandler(options), count, types)
}

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))))
const BOM = [0xef, 0xbb, 0xbf]

describe('format-bom (WPT)', () => {
  test('strips one leading BOM and treats a later BOM as part of the field name', async () => {
    const { events } = await receiveMessage('bom', { message: bytes(BOM, 'data:1\n\n', BOM, 'data:2\n\ndata:3') }, 2)
    expect(dataOf(events)).toEqual(['1', '3'])
  })
})

describe('format-bom-2 (WPT)', () => {
  test('strips only the first of two leading BOMs, so the first event is lost', async () => {
    const { events } = await receiveMessage('bom2', { message: bytes(BOM, BOM, 'data:1\n\ndata:2\n\ndata:3') }, 2)
    expect(dataOf(events)).toEqual(['2', '3'])
  })
})

describe('format-comments (WPT)', () => {
  test('ignores comment lines of any length and line ending between data lines', async () => {
    const long = 'x'.repeat(2048)
    const message = `data:1\r:\0\n:\r\ndata:2\n:${long}\rdata:3\n:data:fail\r:${long}\ndata:4\n`
    const { events } = await receiveMessage('comments', { message, newline: 'none' }, 1)
    expect(dataOf(events)).toEqual(['1\n2\n3\n4'])
  })
})

describe('event-data (WPT)', () => {
  test('assembles events from lines that arrive in many separate chunks', async () => {
    const pieces = ['data:msg', '\n', 'data: msg', '\n\n', ':', '\n', 'falsefield:msg', '\n\n', 'falsefield:msg', '\n']
    pieces.push('Data:data', '\n\n', 'data', '\n\n', 'data:end', '\n\n')
    const { events } = await receive('event-data', trickleHandler(pieces), 3)
    expect(dataOf(events)).toEqual(['msg\nmsg', '', 'end'])
  })
})

describe('format-data-before-final-empty-line (WPT)', () => {
  test('discards an event the stream ends before its empty line, id included', async () => {
    const message = 'retry:10\ndata:test1\n\nid:test\ndata:test2'
    const { events, path } = await receiveMessage('final-empty-line', { message, newline: 'none' }, 2)
    const messages = events.filter((e) => e.type === 'message')
    expect(messages.slice(0, 2).map((e) => [e.data, e.lastEventId])).toEqual([
      ['test1', ''],
      ['test1', ''],
    ])
    expect(dataOf(events)).not.toContain('test2')
    // The reconnection carried no Last-Event-ID: the id of the unfinished event was never committed.
    expect(server.requestsTo(path).length).toBeGreaterThanOrEqual(2)
    for (const request of server.requestsTo(path)) expect(request.headers['last-event-id']).toBeUndefined()
  })
})

describe('format-field-data (WPT)', () => {
  test('makes "data:" an empty line, two bare "data" lines one newline, and "data:test" test', async () => {
    const { events } = await receiveMessage('field-data', { message: 'data:\n\ndata\ndata\n\ndata:test' }, 3)
    expect(dataOf(events)).toEqual(['', '\n', 'test'])
  })
})

describe('format-field-event-empty (WPT)', () => {
  test('dispatches an event whose "event" field is empty as a message event', async () => {
    const { events } = await receiveMessage('event-empty', { message: 'event: \ndata:data' }, 1, ['message', '', ' '])
    expect(events.map((e) => [e.type, e.data])).toEqual([['message', 'data']])
  })
})

describe('format-field-event (WPT)', () => {
  test('dispatches an event named by the "event" field to its own listeners only', async () => {
    const { events } = await receiveMessage('event-name', { message: 'event:test\ndata:x\n\ndata:x' }, 1, ['test', 'message'])
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['test', 'x'],
      ['message', 'x'],
    ])
    expect(events[0].event).toBeInstanceOf(MessageEvent)
  })
})

describe('format-field-id (WPT)', () => {
  test('sets lastEventId from the "id" field and sends it back as UTF-8 on reconnection', async () => {
    const { events, path } = await receive('field-id', lastEventIdHandler('…', 10), 2)
    const messages = events.filter((e) => e.type === 'message')
    expect(messages.slice(0, 2).map((e) => [e.data, e.lastEventId])).toEqual([
      ['hello', '…'],
      ['…', '…'],
    ])
    const [first, second] = server.requestsTo(path)
    expect(first.headers['last-event-id']).toBeUndefined()
    expect(lastEventIdBytes(second.headers)?.toString('utf8')).toBe('…')
    expect(lastEventIdBytes(second.headers)).toEqual(Buffer.from('…', 'utf8'))
  })
})

describe('format-field-id-2 (WPT)', () => {
  test('keeps sending the last event ID on every later reconnection', async () => {
    const { events, path } = await receive('field-id-2', lastEventIdHandler('…', 10), 3)
    const messages = events.filter((e) => e.type === 'message')
    expect(messages.slice(0, 3).map((e) => [e.data, e.lastEventId])).toEqual([
      ['hello', '…'],
      ['…', '…'],
      ['…', '…'],
    ])
    const requests = server.requestsTo(path).slice(0, 3)
    expect(requests.map((r) => lastEventIdBytes(r.headers)?.toString('utf8'))).toEqual([undefined, '…', '…'])
  })
})

describe('format-field-id-3 (WPT)', () => {
  const idsOf = (events: RecordedEvent[]) => events.filter((e) => e.type === 'message').map((e) => [e.data, e.lastEventId])

  test('keeps lastEventId for later events without an "id" field', async () => {
    const body = 'id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n'
    const { events } = await receive('id-persists', (_req, res) => void startStream(res).end(body), 4)
    expect(idsOf(events)).toEqual([
      ['1', '1'],
      ['2', '1'],
      ['3', '2'],
      ['4', '2'],
    ])
  })

  test('resets lastEventId to empty on an "id:" field with no value', async () => {
    const body = 'id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n'
    const { events } = await receive('id-resets', (_req, res) => void startStream(res).end(body), 3)
    expect(idsOf(events)).toEqual([
      ['1', '1'],
      ['2', ''],
      ['3', ''],
    ])
  })

  test('resets lastEventId to empty on a bare "id" line without a colon', async () => {
    const body = 'id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n'
    const { events } = await receive('id-resets-bare', (_req, res) => void startStream(res).end(body), 3)
    expect(idsOf(events)).toEqual([
      ['1', '1'],
      ['2', ''],
      ['3', ''],
    ])
  })
})

describe('format-field-id-null (WPT)', () => {
  test.each(['\0\0', 'x\0', '\0x', 'x\0x', ' \0'].map((id) => [encodeURIComponent(id), id]))(
    'ignores an "id" field whose value contains U+0000 (%s)',
    async (_label, id) => {
      const { events, path } = await receive('id-null', lastEventIdHandler(id, 10), 2)
      const messages = events.filter((e) => e.type === 'message')
      expect(messages.slice(0, 2).map((e) => [e.data, e.lastEventId])).toEqual([
        ['hello', ''],
        ['hello', ''],
      ])
      for (const request of server.requestsTo(path)) expect(request.headers['last-event-id']).toBeUndefined()
    },
  )
})

describe('format-field-parsing (WPT)', () => {
  test('matches field names exactly, strips one space, keeps NUL and honours CR, LF and CRLF', async () => {
    const message = 'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n'
    const { events } = await receiveMessage('field-parsing', { message, newline: 'none' }, 1)
    expect(dataOf(events)).toEqual(['\0\n 2\n1\n3\n\n4'])
  })
})

/**
 * WPT waits 3000 ms and allows 25 %; these wait 200 ms. The default backoff adds up to 50 % jitter
 * on top of the reconnection time but never waits less, so the delay lies in [200, 300] ms plus
 * scheduling; the octal reading of 0200 (128 ms, at most 192 ms with jitter) stays below.
 */
async function reconnectionDelay(name: string, message: string): Promise<{ measured: number; announced: unknown }> {
  const path = freshPath(name)
  server.route(path, messageHandler({ message }))
  const source = open(server.url(path))
  let errorAt = 0
  let announced: unknown
  let reopenedAt = 0
  source.addEventListener('error', (event) => {
    if (errorAt === 0 && source.readyState === source.CONNECTING) {
      errorAt = performance.now()
      announced = (event as EventSourceErrorEvent).retryDelay
    }
  })
  let opens = 0
  source.addEventListener('open', () => {
    opens += 1
    if (opens === 2) reopenedAt = performance.now()
  })
  await waitFor(() => reopenedAt > 0, { message: 'the second open event', timeoutMs: 3000 })
  return { measured: reopenedAt - errorAt, announced }
}

describe('format-field-retry (WPT)', () => {
  test('reads the "retry" field as decimal milliseconds, leading zeros included', async () => {
    const { measured, announced } = await reconnectionDelay('retry', 'retry:0200\ndata:x')
    expect(measured).toBeGreaterThanOrEqual(195)
    expect(measured).toBeLessThan(800)
    expect(announced).toBeGreaterThanOrEqual(200)
    expect(announced).toBeLessThanOrEqual(300)
  })
})

describe('format-field-retry-bogus (WPT)', () => {
  test('ignores a "retry" value with a non-digit and keeps the earlier one', async () => {
    const { measured, announced } = await reconnectionDelay('retry-bogus', 'retry:200\nretry:100x\ndata:x')
    expect(measured).toBeGreaterThanOrEqual(195)
    expect(measured).toBeLessThan(800)
    expect(announced).toBeGreaterThanOrEqual(200)
    expect(announced).toBeLessThanOrEqual(300)
  })
})

describe('format-field-retry-empty (WPT)', () => {
  test('ignores a bare "retry" line and still delivers the event', async () => {
    const { events } = await receiveMessage('retry-empty', { message: 'retry\ndata:test' }, 1)
    expect(dataOf(events)).toEqual(['test'])
    expect(typesOf(events).slice(0, 2)).toEqual(['open', 'message'])
  })
})

describe('format-field-unknown (WPT)', () => {
  test('ignores unknown fields, lines without a colon that are not "data", and comments', async () => {
    const message = 'data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test'
    const { events } = await receiveMessage('field-unknown', { message }, 1)
    expect(dataOf(events)).toEqual(['test\n\ntest'])
  })
})

describe('format-leading-space (WPT)', () => {
  test('removes only one space after the colon and keeps a tab', async () => {
    const { events } = await receiveMessage('leading-space', { message: 'data:\ttest\rdata: \ndata:test' }, 1)
    expect(dataOf(events)).toEqual(['\ttest\n\ntest'])
  })
})

/** format-mime-bogus and format-mime-valid-bogus: a wrong Content-Type fails the connection. */
async function expectFailedByContentType(name: string, mime: string): Promise<void> {
  const path = freshPath(name)
  server.route(path, messageHandler({ mime }))
  // A short initial reconnection time, so a wrong reconnection would show within settle().
  const source = open(server.url(path), { retryDelay: 10 })
  const events = recordEvents(source)
  await waitFor(() => events.length > 0, { message: 'the first event' })
  await settle(150)
  expect(events.map((e) => [e.type, e.readyState])).toEqual([['error', source.CLOSED]])
  const error = events[0].event
  expect(error).not.toBeInstanceOf(MessageEvent)
  expect(Object.hasOwn(error, 'data')).toBe(false)
  expect(error.bubbles).toBe(false)
  expect(error.cancelable).toBe(false)
  expect(source.readyState).toBe(source.CLOSED)
  expect(server.requestsTo(path)).toHaveLength(1)
}

describe('format-mime-bogus (WPT)', () => {
  test('fails the connection with one plain error event on an unparsable Content-Type', async () => {
    await expectFailedByContentType('mime-bogus', 'x bogus')
  })
})

describe('format-mime-valid-bogus (WPT)', () => {
  test('fails the connection with one plain error event on a valid MIME type other than text/event-stream', async () => {
    await expectFailedByContentType('mime-valid-bogus', 'text/x-bogus')
  })
})

describe('format-mime-trailing-semicolon (WPT)', () => {
  test('accepts "text/event-stream;" as the event-stream MIME type', async () => {
    const { source, events } = await receiveMessage('mime-semicolon', { mime: 'text/event-stream;' }, 1)
    expect(events.slice(0, 2).map((e) => [e.type, e.readyState])).toEqual([
      ['open', source.OPEN],
      ['message', source.OPEN],
    ])
  })
})

describe('format-newlines (WPT)', () => {
  test('treats CRLF, LF and CR alike as line endings', async () => {
    const { events } = await receiveMessage('newlines', { message: 'data:test\r\ndata\ndata:test\r\n\r', newline: 'none' }, 1)
    expect(dataOf(events)).toEqual(['test\n\ntest'])
  })

  test('counts a CRLF split across two chunks as one line ending', async () => {
    const { events } = await receive('newlines-split', trickleHandler(['data:a\r', '\ndata:b\r', '\n\r', '\n', 'data:end\n\n']), 2)
    expect(dataOf(events)).toEqual(['a\nb', 'end'])
  })
})

describe('format-null-character (WPT)', () => {
  test('keeps a U+0000 in the data', async () => {
    const { events } = await receiveMessage('null-character', { message: 'data:\0\n\n' }, 1)
    expect(dataOf(events)).toEqual(['\0'])
    expect(typesOf(events).slice(0, 2)).toEqual(['open', 'message'])
  })
})

describe('format-utf-8 (WPT)', () => {
  test('decodes the stream as UTF-8 whatever charset the Content-Type names', async () => {
    const { events } = await receiveMessage('utf-8', { mime: 'text/event-stream;charset=windows-1252', message: 'data:ok…' }, 1)
    expect(dataOf(events)).toEqual(['ok…'])
    expect(typesOf(events).slice(0, 2)).toEqual(['open', 'message'])
  })

  test('decodes invalid UTF-8 bytes to U+FFFD', async () => {
    const message = bytes('data:a', [0xff], 'b', [0x80], 'c', [0xc3], '\ndata:d', [0xe2, 0x82], 'e')
    const { events } = await receiveMessage('utf-8-invalid', { message }, 1)
    expect(dataOf(events)).toEqual(['a\ufffdb\ufffdc\ufffd\nd\ufffde'])
  })

  test('decodes a character whose bytes are split across two chunks', async () => {
    const { events } = await receive('utf-8-split', trickleHandler([bytes('data: caf', [0xc3]), bytes([0xa9], '\n\n')]), 1)
    expect(dataOf(events)).toEqual(['café'])
  })
})
