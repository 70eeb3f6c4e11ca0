import type { EventSourceMessage } from 'eventsource-parser'
import { EventStream as NodeEventStream } from '../src/event-stream'
import { EventStream as BrowserEventStream } from '../src/event-stream.browser'

/**
 * Both implementations follow the same rules: event-stream.ts (Node, Deno, Bun: line ends found in
 * the bytes) and event-stream.browser.ts (the browser builds: a streaming decoder into the parser).
 */
describe.each([
  ['Node build', NodeEventStream],
  ['browser builds', BrowserEventStream],
])('%s', (_build, EventStream) => {
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
    '\uFEFFid: ü1\ndata: héllo €uro 😀\r\n\r\nevent: tîck\rdata: a\rdata: 日本語\r\rretry: 25\n' + 'data: tail ß\n\n',
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

  /** Feeds `chunks` to a fresh EventStream bounded by `max`; returns the events and what feed() said last. */
  function run(chunks: (string | Uint8Array)[], max = 1024): { seen: string[]; ok: boolean } {
    const seen: string[] = []
    const stream = new EventStream(
      { onEvent: (m) => seen.push(`${m.event ?? 'message'}:${m.data}`), onId: (id) => seen.push(`id:${id}`), onRetry: () => {} },
      max,
    )
    stream.reset()
    let ok = true
    for (const chunk of chunks) ok = stream.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    return { seen, ok }
  }

  describe('EventStream: line ends are found in the bytes (§ 9.2.5: CRLF, LF or CR)', () => {
    test('a long line of multi-byte text split at every byte offset decodes the same, between ASCII lines', () => {
      const text = `data: ascii\n\ndata: ${'日本語 é😀 '.repeat(20)}\n\ndata: ascii again\n\n`
      const bytes = Buffer.from(text)
      const expected = ['message:ascii', `message:${'日本語 é😀 '.repeat(20)}`, 'message:ascii again']
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect([cut, run([bytes.subarray(0, cut), bytes.subarray(cut)]).seen]).toEqual([cut, expected])
      }
    })

    test('a CR-only stream keeps only its last unfinished line: many events over many chunks stay under a small bound', () => {
      const chunks = Array.from({ length: 200 }, (_, i) => `data: ${i % 10}\r\r`)
      const { seen, ok } = run(chunks, 16)
      expect(ok).toBe(true)
      expect(seen).toHaveLength(200)
    })

    test('a CRLF split between chunks is one line end, not an empty line that dispatches', () => {
      expect(run(['data: a\r', '\ndata: b\r\n\r\n']).seen).toEqual(['message:a\nb'])
      expect(run(['data: a\r', '\n', 'data: b\r', '\n\r', '\n']).seen).toEqual(['message:a\nb'])
    })

    test('a BOM split over the first chunks is stripped; a second BOM is part of the first line', () => {
      const bom = Buffer.from('\uFEFF')
      expect(run([bom.subarray(0, 1), bom.subarray(1, 2), Buffer.concat([bom.subarray(2), Buffer.from('data: x\n\n')])]).seen).toEqual([
        'message:x',
      ])
      // "\uFEFFdata" is an unknown field name: the line is ignored.
      expect(run([bom, bom.subarray(0, 2), bom.subarray(2), 'data: x\n\ndata: y\n\n']).seen).toEqual(['message:y'])
    })

    test('a BOM later in the stream survives whichever decoder reads it (after ASCII text and after multi-byte text)', () => {
      // "\uFEFFdata" is an unknown field name, so the event with x is not dispatched.
      expect(run(['data: a\n\n', '\uFEFFdata: x\n\ndata: y\n\n']).seen).toEqual(['message:a', 'message:y'])
      expect(run(['data: é\n\n', '\uFEFFdata: x\n\ndata: y\n\n']).seen).toEqual(['message:é', 'message:y'])
    })

    test('reset() drops the unfinished line of the previous stream', () => {
      const seen: string[] = []
      const stream = new EventStream({ onEvent: (m) => seen.push(m.data), onId: () => {}, onRetry: () => {} }, 1024)
      stream.reset()
      stream.feed(Buffer.from('data: stale'))
      stream.reset()
      stream.feed(Buffer.from('\ndata: fresh\n\n'))
      expect(seen).toEqual(['fresh'])
    })
  })

  describe('EventStream: maxEventSize bounds the line still arriving, in characters', () => {
    test('a never-ending data line overflows once it passes maxEventSize, across chunks', () => {
      const chunks = ['data: ', ...Array.from({ length: 10 }, () => 'x'.repeat(10))]
      expect(run(chunks.slice(0, 2), 16).ok).toBe(true)
      expect(run(chunks, 16).ok).toBe(false)
    })

    test('multi-byte characters count as UTF-16 code units, not bytes', () => {
      // 6 + 10 = 16 code units in 26 bytes (é is two bytes), then 6 + 5 × 2 = 16 units with 😀 (four bytes, two units).
      expect(run(['data: ', 'é'.repeat(10)], 16).ok).toBe(true)
      expect(run(['data: ', 'é'.repeat(10), '\n\n'], 16).seen).toEqual([`message:${'é'.repeat(10)}`])
      expect(run(['data: ', '😀'.repeat(5)], 16).ok).toBe(true)
      expect(run(['data: ', 'é'.repeat(11)], 16).ok).toBe(false)
      expect(run(['data: ', '😀'.repeat(6)], 16).ok).toBe(false)
    })

    test('invalid bytes cannot make the line grow without bound (over three bytes per code unit overflows)', () => {
      const continuation = new Uint8Array(100).fill(0x80)
      expect(run(['data: ', continuation], 16).ok).toBe(false)
    })

    test('a BOM at the stream start is not part of the first field name: an endless first data line overflows', () => {
      expect(run(['\uFEFFdata: ', 'x'.repeat(100)], 16).ok).toBe(false)
    })

    test('with onComment, a comment line past maxEventSize overflows (it cannot be reported whole); without, it is dropped', () => {
      const comments: string[] = []
      const handlers = { onEvent() {}, onId() {}, onRetry() {} }
      const line = Buffer.from(`:${'c'.repeat(2000)}`)
      const reported = new EventStream({ ...handlers, onComment: (text: string) => comments.push(text) }, 1024)
      reported.reset()
      expect(reported.feed(line)).toBe(false)
      const ignored = new EventStream(handlers, 1024)
      ignored.reset()
      expect(ignored.feed(line)).toBe(true)
      expect(ignored.feed(Buffer.from('\n:short\n'))).toBe(true)
      expect(comments).toEqual([])
    })

    test('a never-ending comment or unknown field is dropped as it arrives and does not overflow', () => {
      const filler = Array.from({ length: 20 }, () => 'f'.repeat(10))
      expect(run([': ', ...filler, '\ndata: ok\n\n'], 16)).toEqual({ seen: ['message:ok'], ok: true })
      expect(run(['unknown', ...filler, '\ndata: ok\n\n'], 16)).toEqual({ seen: ['message:ok'], ok: true })
    })

    test('a dropped line still ends where it ends: its CRLF, split over chunks, is one line end', () => {
      const filler = Array.from({ length: 20 }, () => 'f'.repeat(10))
      expect(run(['data: a\n:', ...filler, '\r', '\ndata: b\n\n'], 16).seen).toEqual(['message:a\nb'])
      expect(run(['data: a\n:', ...filler, 'f\r\ndata: b\n\n'], 16).seen).toEqual(['message:a\nb'])
    })
  })
})
