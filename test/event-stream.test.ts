import type { EventSourceMessage } from 'eventsource-parser'
import { EventStream } from '../src/event-stream'

/** Feeds `chunks` to a fresh EventStream and returns what it reported, in order. */
function interpret(chunks: Uint8Array[]): string[] {
  const seen: string[] = []
  const stream = new EventStream(
    {
      onEvent: (message: EventSourceMessage) => seen.push(`${message.event ?? 'message'}:${message.data}`),
      onId: (id) => seen.push(`id:${id}`),
      onRetry: (ms) => seen.push(`retry:${ms}`),
    },
    1024,
  )
  stream.reset()
  for (const chunk of chunks) stream.feed(chunk)
  return seen
}

const sample = Buffer.from(
  '\uFEFFid: ü1\ndata: héllo €uro 😀\r\n\r\nevent: tîck\rdata: a\rdata: 日本語\r\rretry: 25\n' +
    'data: tail ß\n\n',
)
const whole = interpret([sample])

describe('EventStream: bytes to events, wherever the chunks split', () => {
  test('the unsplit sample gives the expected events (BOM stripped, all line endings)', () => {
    expect(whole).toEqual(['id:ü1', 'message:héllo €uro 😀', 'tîck:a\n日本語', 'retry:25', 'message:tail ß'])
  })

  test('every split into two chunks gives the same events (one-shot and streaming decoding agree)', () => {
    for (let cut = 0; cut <= sample.length; cut++) {
      expect([cut, interpret([sample.subarray(0, cut), sample.subarray(cut)])]).toEqual([cut, whole])
    }
  })

  test('every split into three chunks gives the same events', () => {
    for (let first = 1; first < sample.length; first += 1) {
      for (let second = first + 1; second < sample.length; second += 3) {
        const chunks = [sample.subarray(0, first), sample.subarray(first, second), sample.subarray(second)]
        expect([first, second, interpret(chunks)]).toEqual([first, second, whole])
      }
    }
  })

  test('one byte at a time, with empty chunks in between, gives the same events', () => {
    const chunks: Uint8Array[] = []
    for (let i = 0; i < sample.length; i++) chunks.push(sample.subarray(i, i + 1), new Uint8Array(0))
    expect(interpret(chunks)).toEqual(whole)
  })

  test('invalid bytes at a chunk end become U+FFFD, as in one piece', () => {
    const bad = Buffer.concat([Buffer.from('data: a'), Buffer.from([0xe2, 0x82]), Buffer.from('\n\n')])
    expect(interpret([bad])).toEqual(['message:a\uFFFD'])
    expect(interpret([bad.subarray(0, 9), bad.subarray(9)])).toEqual(['message:a\uFFFD'])
  })
})

describe('EventStream: maxEventSize', () => {
  function feedAll(text: string, max: number): { events: string[]; ok: boolean } {
    const events: string[] = []
    const stream = new EventStream({ onEvent: (m) => events.push(m.data), onId: () => {}, onRetry: () => {} }, max)
    stream.reset()
    const ok = stream.feed(Buffer.from(text))
    return { events, ok }
  }

  test('an event longer than maxEventSize is not dispatched, even when it arrives whole in one chunk', () => {
    expect(feedAll(`data: ${'x'.repeat(17)}\n\n`, 16)).toEqual({ events: [], ok: false })
  })

  test('events after an oversized one in the same chunk are not dispatched either', () => {
    expect(feedAll(`data: ok\n\ndata: ${'x'.repeat(17)}\n\ndata: after\n\n`, 16)).toEqual({ events: ['ok'], ok: false })
  })

  test('an event of exactly maxEventSize characters is dispatched', () => {
    expect(feedAll(`data: ${'x'.repeat(16)}\n\n`, 16)).toEqual({ events: ['x'.repeat(16)], ok: true })
  })

  test('a line still arriving that grows past maxEventSize ends the stream', () => {
    expect(feedAll(`data: ${'x'.repeat(40)}`, 16).ok).toBe(false)
  })
})

describe('EventStream: a new stream after reset()', () => {
  test('a character left half-decoded by the previous stream does not leak into the next one', () => {
    const seen: string[] = []
    const stream = new EventStream({ onEvent: (m) => seen.push(m.data), onId: () => {}, onRetry: () => {} }, 1024)
    stream.reset()
    const euro = Buffer.from('€')
    stream.feed(Buffer.concat([Buffer.from('data: a'), euro.subarray(0, 2)]))
    stream.reset()
    stream.feed(Buffer.from('\uFEFFdata: fresh\n\n'))
    expect(seen).toEqual(['fresh'])
  })
})
