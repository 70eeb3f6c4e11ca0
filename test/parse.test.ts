import { dataOf, recordEvents, typesOf, waitFor, type RecordedEvent } from './helpers/recorder'
import { streamAndHold, streamInPieces, streamThenEnd } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

/**
 * Streams `body` (held open, so nothing reconnects), waits for the sentinel event
 * `data: END` the helper appends, and returns the events before it.
 */
async function parse(body: string | Buffer | (string | Buffer)[], types: string[] = ['message']): Promise<RecordedEvent[]> {
  const end = '\n\ndata: END\n\n'
  const handler = Array.isArray(body)
    ? streamInPieces([...body, end], { hold: true })
    : streamAndHold(Buffer.concat([Buffer.from(body), Buffer.from(end)]))
  server.route('/s', handler)
  const source = open('/s')
  const events = recordEvents(source, [...new Set([...types, 'message', 'error'])])
  await waitFor(() => events.some((e) => e.type === 'message' && e.data === 'END'), { describe: () => typesOf(events) })
  source.close()
  return events.filter((e) => !(e.type === 'message' && e.data === 'END'))
}

describe('decoding the stream (HTML § 9.2.5)', () => {
  test('decodes UTF-8, multi-byte characters included', async () => {
    expect(dataOf(await parse('data: ü€😀 ok\n\n'))).toEqual(['ü€😀 ok'])
  })

  test('turns invalid UTF-8 bytes into U+FFFD', async () => {
    const body = Buffer.concat([Buffer.from('data: a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b\n\n')])
    expect(dataOf(await parse(body))).toEqual(['a\uFFFD\uFFFD\uFFFDb'])
  })

  test('a multi-byte character split across chunks survives', async () => {
    const bytes = Buffer.from('data: 😀\n\n')
    expect(dataOf(await parse([bytes.subarray(0, 8), bytes.subarray(8)]))).toEqual(['😀'])
  })

  test('ignores one leading BOM', async () => {
    expect(dataOf(await parse('\uFEFFdata: bom\n\n'))).toEqual(['bom'])
  })

  test('ignores a leading BOM split across chunks', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    expect(dataOf(await parse([bom.subarray(0, 1), bom.subarray(1), 'data: split bom\n\n']))).toEqual(['split bom'])
  })

  test('only one BOM is ignored: a second one is part of the first field name', async () => {
    expect(dataOf(await parse('\uFEFF\uFEFFdata: x\n\ndata: y\n\n'))).toEqual(['y'])
  })
})

describe('interpreting the stream (HTML § 9.2.6)', () => {
  test.each([
    ['LF', 'data: a\ndata: b\n\n'],
    ['CR', 'data: a\rdata: b\r\r'],
    ['CRLF', 'data: a\r\ndata: b\r\n\r\n'],
    ['mixed', 'data: a\r\ndata: b\r\n'],
  ])('accepts %s line endings', async (_name, body) => {
    expect(dataOf(await parse(body))).toEqual(['a\nb'])
  })

  test('a CRLF split between chunks is one line ending, not two', async () => {
    expect(dataOf(await parse(['data: a\r', '\ndata: b\r\n\r\n']))).toEqual(['a\nb'])
  })

  test('a lone CR at the end of a chunk ends its line at once', async () => {
    expect(dataOf(await parse(['data: a\r\r', 'data: b\n\n']))).toEqual(['a', 'b'])
  })

  test('comment lines dispatch nothing', async () => {
    const events = await parse(': comment\n:\n: data: x\n\ndata: after\n\n')
    expect(dataOf(events)).toEqual(['after'])
  })

  test('a line without a colon is a field name with an empty value: a lone `data` dispatches empty data', async () => {
    // The data buffer is "\n", which is not empty, so the event is dispatched with its LF removed.
    expect(dataOf(await parse('data\n\ndata\ndata\n\n'))).toEqual(['', '\n'])
  })

  test('a field name without a colon gives the empty string as value: `data` line then data', async () => {
    expect(dataOf(await parse('data\ndata: x\n\n'))).toEqual(['\nx'])
  })

  test('one leading space after the colon is stripped, and only one', async () => {
    expect(dataOf(await parse('data:no space\n\ndata: one\n\ndata:  two\n\n'))).toEqual(['no space', 'one', ' two'])
  })

  test('data lines are joined by LF, and the last LF removed', async () => {
    expect(dataOf(await parse('data: a\ndata:\ndata: c\n\n'))).toEqual(['a\n\nc'])
  })

  test('an event with empty data is not dispatched', async () => {
    expect(dataOf(await parse('event: x\n\nid: 3\n\nretry: 5\n\ndata: real\n\n'))).toEqual(['real'])
  })

  test('a leading empty data line is kept', async () => {
    expect(dataOf(await parse('data:\ndata: x\n\n'))).toEqual(['\nx'])
  })

  test('the event type defaults to message', async () => {
    const events = await parse('data: a\n\n')
    expect(events.map((e) => e.event)).toEqual([expect.objectContaining({ type: 'message' })])
  })

  test('an event: field sets the type, which reaches addEventListener of that type only', async () => {
    const events = await parse('event: tick\ndata: t\n\nevent:\ndata: plain\n\n', ['tick'])
    expect(typesOf(events)).toEqual(['tick', 'message'])
    expect(events.map((e) => e.data)).toEqual(['t', 'plain'])
    expect(events[0].event).toBeInstanceOf(MessageEvent)
  })

  test('event type names such as __proto__ and constructor dispatch like any other', async () => {
    const events = await parse('event: __proto__\ndata: p\n\nevent: constructor\ndata: c\n\n', ['__proto__', 'constructor'])
    expect(typesOf(events)).toEqual(['__proto__', 'constructor'])
  })

  test('field names are case-sensitive: DATA is an unknown field', async () => {
    expect(dataOf(await parse('DATA: x\nData: y\n\ndata: z\n\n'))).toEqual(['z'])
  })

  test('unknown fields are ignored', async () => {
    expect(dataOf(await parse('foo: bar\ndata: a\nbaz\n\n'))).toEqual(['a'])
  })

  test('an id containing U+0000 is ignored', async () => {
    const events = await parse('id: good\ndata: a\n\nid: b\0d\ndata: b\n\n')
    expect(events.map((e) => e.lastEventId)).toEqual(['good', 'good'])
  })

  test('lastEventId of a message is the last event ID string, which persists across events', async () => {
    const events = await parse('id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid\ndata: d\n\n')
    expect(events.map((e) => e.lastEventId)).toEqual(['1', '1', '2', ''])
  })

  test('an id-only block updates the lastEventId of later messages', async () => {
    const events = await parse('id: 5\n\ndata: after\n\n')
    expect(events.map((e) => [e.data, e.lastEventId])).toEqual([['after', '5']])
  })

  test('messages carry data, origin and lastEventId', async () => {
    const [event] = await parse('id: x\ndata: d\n\n')
    expect(event.event).toBeInstanceOf(MessageEvent)
    expect(event).toMatchObject({ data: 'd', origin: server.origin, lastEventId: 'x' })
  })

  test('an event the stream ends before its blank line is not dispatched', async () => {
    server.route('/s', streamThenEnd('retry: 10000\ndata: whole\n\ndata: incomplete\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'error'))
    source.close()
    expect(typesOf(events)).toEqual(['open', 'message', 'error'])
    expect(dataOf(events)).toEqual(['whole'])
  })

  test('an unterminated event is not carried into the next connection', async () => {
    let attempt = 0
    server.route('/s', (_req, res) => {
      attempt += 1
      streamThenEnd(attempt === 1 ? 'retry: 5\ndata: half' : 'data: fresh\n\n')(_req, res, server.requests[0])
    })
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 1)
    source.close()
    expect(dataOf(events)[0]).toBe('fresh')
  })
})

describe('the retry field (HTML § 9.2.6)', () => {
  async function reconnectGap(body: string, retryDelay: number): Promise<number> {
    server.route('/s', streamThenEnd(body))
    const source = open('/s', { retryDelay })
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'error'), { timeoutMs: 2000 })
    return (events.find((e) => e.type === 'error')!.event as unknown as { retryDelay: number }).retryDelay
  }

  test('a value of only ASCII digits sets the reconnection time', async () => {
    expect(await reconnectGap('retry: 1234\n\n', 7)).toBeGreaterThanOrEqual(1234)
  })

  test.each(['12a', '-5', ' 5', '1.5', '', '+7'])('a value that is not only ASCII digits (%j) is ignored', async (value) => {
    const delay = await reconnectGap(`retry:${value === ' 5' ? '  5' : ` ${value}`}\n\n`, 70_000)
    expect(delay).toBeGreaterThanOrEqual(70_000)
  })
})
