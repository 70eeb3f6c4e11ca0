/**
 * Bad bytes: invalid UTF-8, U+0000 in data, event types, ids and field names, and `retry:` values
 * that are enormous, negative or not numbers. Each is handled as the spec says (HTML § 9.2.5–9.2.6),
 * and none crashes the source or makes it reconnect at once.
 */
import { constantBackoff, EventSource, type EventSourceErrorEvent } from '../src'
import { oneByteAtATime, startFaultServer, status, stream } from './helpers/fault-server'
import { settle, waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server],
  open,
} = useSharedServers(1, startFaultServer)

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))))

/** Collects [type, data, lastEventId] of messages of the given types until `count` arrived. */
async function messagesOf(source: EventSource, count: number, types = ['message']): Promise<[string, string, string][]> {
  const seen: [string, string, string][] = []
  for (const type of types) source.addEventListener(type, (event: MessageEvent) => seen.push([event.type, event.data, event.lastEventId]))
  await waitFor(() => seen.length >= count, { message: `${count} messages`, describe: () => seen })
  return seen
}

describe('invalid UTF-8 is decoded with replacement characters (§ 9.2.5 "UTF-8 decode"), never a crash', () => {
  // The WHATWG UTF-8 decoder: one U+FFFD per maximal invalid subsequence.
  const body = bytes(
    'data: a',
    [0xff],
    'b\n\n', // a byte that is never valid
    'data: ',
    [0xc3, 0x28],
    '\n\n', // a lead byte followed by ASCII
    'data: ',
    [0xc0, 0xaf],
    '\n\n', // an overlong encoding of "/"
    'data: ',
    [0xed, 0xa0, 0x80],
    '\n\n', // a UTF-16 surrogate encoded as UTF-8
    'data: ',
    [0xf0, 0x9f, 0x98],
    '\n\n', // a 4-byte character cut short by the line end
    'data: still fine 😀\n\n',
  )
  const expected = ['a\uFFFDb', '\uFFFD(', '\uFFFD\uFFFD', '\uFFFD\uFFFD\uFFFD', '\uFFFD', 'still fine 😀']

  test('in one piece', async () => {
    server.route('/utf8/whole', stream(body, { then: 'hold' }))
    const seen = await messagesOf(open('/utf8/whole'), expected.length)
    expect(seen.map(([, data]) => data)).toEqual(expected)
  })

  test('one byte at a time, so every invalid sequence is split across chunks', async () => {
    server.route('/utf8/bytewise', oneByteAtATime(body, { gapMs: 0, then: 'hold' }))
    const seen = await messagesOf(open('/utf8/bytewise'), expected.length)
    expect(seen.map(([, data]) => data)).toEqual(expected)
  })

  test('in field names and event types: a field name with a bad byte is an unknown field; a type with one dispatches as decoded', async () => {
    server.route(
      '/utf8/fields',
      stream(bytes([0xff], 'data: ignored\n', 'da', [0xfe], 'ta: ignored too\n', 'data: kept\n', 'event: t', [0xff], '\n\n'), {
        then: 'hold',
      }),
    )
    const seen = await messagesOf(open('/utf8/fields'), 1, ['message', 't\uFFFD'])
    expect(seen).toEqual([['t\uFFFD', 'kept', '']])
  })

  test('a bad byte in an id is kept as U+FFFD and sent back as its UTF-8 bytes in Last-Event-ID', async () => {
    server.route('/utf8/id', (ctx) =>
      stream(bytes('retry: 1\nid: a', [0xff], '\ndata: x\n\n'), { then: ctx.request.attempt === 0 ? 'end' : 'hold' })(ctx),
    )
    const seen = await messagesOf(open('/utf8/id'), 2)
    expect(seen[0]).toEqual(['message', 'x', 'a\uFFFD'])
    const header = server.requestsTo('/utf8/id')[1].lastEventId!
    expect(Buffer.from(header, 'latin1')).toEqual(bytes('a', [0xef, 0xbf, 0xbd]))
  })
})

describe('U+0000 (§ 9.2.6)', () => {
  test('is kept in data and in event types, which dispatch like any other', async () => {
    server.route('/nul/data', stream('data: a\0b\n\nevent: x\0y\ndata: typed\n\n', { then: 'hold' }))
    const seen = await messagesOf(open('/nul/data'), 2, ['message', 'x\0y'])
    expect(seen).toEqual([
      ['message', 'a\0b', ''],
      ['x\0y', 'typed', ''],
    ])
  })

  test('an id containing it is ignored: the last event ID stays, and so does the Last-Event-ID of the reconnection', async () => {
    server.route('/nul/id', (ctx) =>
      stream('retry: 1\nid: good\ndata: 1\n\nid: b\0d\ndata: 2\n\n', { then: ctx.request.attempt === 0 ? 'end' : 'hold' })(ctx),
    )
    const seen = await messagesOf(open('/nul/id'), 3)
    expect(seen.slice(0, 2)).toEqual([
      ['message', '1', 'good'],
      ['message', '2', 'good'],
    ])
    expect(server.requestsTo('/nul/id')[1].lastEventId).toBe('good')
  })

  test('a field name containing it is an unknown field, and a retry value containing it is ignored', async () => {
    server.route('/nul/field', stream('retry: 40\nda\0ta: no\nretry: 1\0\ndata: yes\n\n', { then: 'end' }))
    const source = open('/nul/field', { backoff: constantBackoff })
    const errors: EventSourceErrorEvent[] = []
    source.onerror = (event) => errors.push(event as EventSourceErrorEvent)
    const seen = await messagesOf(source, 1)
    await waitFor(() => errors.length === 1)
    source.close()
    expect(seen).toEqual([['message', 'yes', '']])
    expect(errors[0].retryDelay).toBe(40)
  })
})

describe('retry: values (§ 9.2.6: "If the field value consists of only ASCII digits … Otherwise, ignore the field.")', () => {
  test('negative, non-numeric, fractional, exponent, padded, full-width and empty values are ignored; the last valid one stays', async () => {
    const bogus = ['-5', 'abc', '1e3', '4.5', '', ' 7', '7 ', '+7', '0x10', '\uFF17', 'Infinity', 'NaN']
    server.route('/retry/bogus', stream(`retry: 40\n${bogus.map((value) => `retry: ${value}\n`).join('')}data: x\n\n`, { then: 'end' }))
    const source = open('/retry/bogus', { retryDelay: 3, backoff: constantBackoff })
    let error: EventSourceErrorEvent | undefined
    source.onerror = (event) => (error ??= event as EventSourceErrorEvent)
    await waitFor(() => error !== undefined)
    source.close()
    expect(error!.retryDelay).toBe(40)
  })

  test('leading zeros are digits too: retry: 007 is 7 ms', async () => {
    server.route('/retry/zeros', stream('retry: 007\ndata: x\n\n', { then: 'end' }))
    const source = open('/retry/zeros', { backoff: constantBackoff })
    let error: EventSourceErrorEvent | undefined
    source.onerror = (event) => (error ??= event as EventSourceErrorEvent)
    await waitFor(() => error !== undefined)
    source.close()
    expect(error!.retryDelay).toBe(7)
  })

  test.each([
    ['just over 2^31-1', '2147483648'],
    ['twenty digits', '99999999999999999999'],
    ['four hundred digits (past Number.MAX_VALUE)', '9'.repeat(400)],
  ])('an enormous retry (%s) is clamped to 2^31-1 ms, so the source does not reconnect at once', async (_name, value) => {
    const path = `/retry/huge/${value.length}`
    server.route(path, stream(`retry: ${value}\ndata: x\n\n`, { then: 'end' }))
    // The default backoff, too: whatever it computes from an enormous base must not come out short.
    const source = open(path)
    const errors: EventSourceErrorEvent[] = []
    source.onerror = (event) => errors.push(event as EventSourceErrorEvent)
    await waitFor(() => errors.length === 1)
    await settle(200)
    expect(errors.map((e) => [e.kind, e.retryDelay, source.readyState])).toEqual([['end', 2_147_483_647, EventSource.CONNECTING]])
    expect(server.requestsTo(path)).toHaveLength(1)
  })

  test('an enormous retry also bounds the wait after an HTTP failure that shouldRetry retries', async () => {
    server.route('/retry/then-503', (ctx) =>
      ctx.request.attempt === 0 ? stream(`retry: ${'9'.repeat(30)}\ndata: x\n\n`, { then: 'end' })(ctx) : status(503)(ctx),
    )
    const source = open('/retry/then-503', { retryDelay: 1, shouldRetry: () => true })
    const errors: EventSourceErrorEvent[] = []
    source.onerror = (event) => errors.push(event as EventSourceErrorEvent)
    await waitFor(() => errors.length === 1)
    await settle(100)
    expect(errors.map((e) => e.retryDelay)).toEqual([2_147_483_647])
  })

  test('retry: 0 is valid: the source may reconnect immediately', async () => {
    server.route('/retry/zero', (ctx) => stream('retry: 0\ndata: x\n\n', { then: ctx.request.attempt < 2 ? 'end' : 'hold' })(ctx))
    const source = open('/retry/zero', { backoff: constantBackoff })
    const delays: (number | undefined)[] = []
    source.onerror = (event) => delays.push((event as EventSourceErrorEvent).retryDelay)
    await waitFor(() => server.requestsTo('/retry/zero').length === 3)
    expect(delays).toEqual([0, 0])
  })
})
