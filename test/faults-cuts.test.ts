/**
 * Cuts: the connection drops (or the server ends the response) after every possible byte of a
 * sample stream, inside multi-byte UTF-8 characters, inside field names, between CR and LF; the
 * stream arrives one byte at a time; and a numbered stream is cut 100 times at random places
 * while the server honours Last-Event-ID. Only events whose blank line arrived are dispatched,
 * and with resume every event arrives exactly once, in order.
 */
import { EventSource, type EventSourceErrorEvent } from '../src'
import { oneByteAtATime, resumableStream, seededRandom, startFaultServer, status, stream, type Ending } from './helpers/fault-server'
import { waitFor } from './helpers/recorder'
import { useSharedServers } from './helpers/per-test'

const {
  servers: [server],
  open,
} = useSharedServers(1, startFaultServer)

/** One block of the sample stream: its lines, its line ending, and what its blank line dispatches. */
interface Block {
  lines: string[]
  eol: '\n' | '\r\n' | '\r'
  /** The id the block sets when its blank line arrives. */
  id?: string
  /** The message it dispatches. */
  message?: { type: string; data: string }
}

// A short stream with something awkward at nearly every byte: a BOM, a comment, `retry:`, 2-, 3- and
// 4-byte characters (in data and in ids), CRLF and lone CR line endings, a field name that is a
// prefix of another, an id-only block, an empty data line, an event type that resets.
const PREAMBLE = '\uFEFF: sample stream\n'
const BLOCKS: Block[] = [
  { lines: ['retry: 5', 'id: 1', 'data: héllo'], eol: '\n', id: '1', message: { type: 'message', data: 'héllo' } },
  { lines: ['event: ping', 'data: €uro', 'data:  two spaces'], eol: '\r\n', message: { type: 'ping', data: '€uro\n two spaces' } },
  { lines: ['data: 😀', 'id: 三'], eol: '\r', id: '三', message: { type: 'message', data: '😀' } },
  { lines: ['id: 4'], eol: '\n', id: '4' },
  { lines: ['data'], eol: '\n', message: { type: 'message', data: '' } },
  { lines: [': c', 'dat', 'data:x', 'event:', 'data:y'], eol: '\r\n', message: { type: 'message', data: 'x\ny' } },
  { lines: ['id: 𝄞5', 'event: end', 'data: z'], eol: '\n', id: '𝄞5', message: { type: 'end', data: 'z' } },
]

interface Expected {
  type: string
  data: string
  lastEventId: string
}

/** The sample's bytes and, for each block, the byte count after which its blank line has arrived. */
function buildSample(): { bytes: Buffer; dispatchAt: number[] } {
  let text = PREAMBLE
  const dispatchAt: number[] = []
  for (const block of BLOCKS) {
    text += block.lines.map((line) => line + block.eol).join('') + block.eol
    // A blank line is complete at its first character: a lone CR already ends it (the LF of a
    // CRLF may never come).
    dispatchAt.push(Buffer.byteLength(text) - (block.eol === '\r\n' ? 1 : 0))
  }
  return { bytes: Buffer.from(text, 'utf8'), dispatchAt }
}
const SAMPLE = buildSample()

/** What a client must have dispatched, and its last event ID, once the first `n` bytes arrived. */
function expectedAfter(n: number): { messages: Expected[]; lastEventId: string } {
  const messages: Expected[] = []
  let lastEventId = ''
  BLOCKS.forEach((block, index) => {
    if (SAMPLE.dispatchAt[index] > n) return
    if (block.id !== undefined) lastEventId = block.id
    if (block.message) messages.push({ ...block.message, lastEventId })
  })
  return { messages, lastEventId }
}

const TYPES = ['message', 'ping', 'end']

/** Records messages of every type the sample uses, as plain values. */
function recordMessages(source: EventSource): Expected[] {
  const seen: Expected[] = []
  for (const type of TYPES) {
    source.addEventListener(type, (event: MessageEvent) =>
      seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId }),
    )
  }
  return seen
}

/** The Last-Event-ID a request carried, decoded from its UTF-8 bytes. */
function lastEventIdOf(header: string | undefined): string {
  return header === undefined ? '' : Buffer.from(header, 'latin1').toString('utf8')
}

/**
 * Serves the first `n` bytes of the sample ending as `ending`; the reconnection gets 204, which
 * fails the connection. Resolves with what the client saw.
 */
async function cutAt(n: number, ending: Ending, path: string) {
  server.route(path, (ctx) => (ctx.request.attempt === 0 ? stream(SAMPLE.bytes, { cutAfter: n, then: ending })(ctx) : status(204)(ctx)))
  const source = open(path, { retryDelay: 1 })
  const messages = recordMessages(source)
  const errors: EventSourceErrorEvent[] = []
  source.addEventListener('error', (event) => errors.push(event))
  await waitFor(() => source.readyState === EventSource.CLOSED, { message: `the source to close after a cut at byte ${n}` })
  const requests = server.requestsTo(path)
  return { messages, errors, requests }
}

describe('no half events: a cut at any byte offset dispatches only the events whose blank line arrived', () => {
  test('the sample stream has multi-byte characters, CRLF and CR line endings for the cuts to fall into', () => {
    // The offsets below are only interesting if these are really in the stream.
    const bytes = SAMPLE.bytes
    expect(bytes.includes(Buffer.from('€'))).toBe(true)
    expect(bytes.includes(Buffer.from('😀'))).toBe(true)
    expect(bytes.includes(Buffer.from('\r\n'))).toBe(true)
    expect(bytes.includes(Buffer.from('\r\r'))).toBe(true)
    expect(expectedAfter(bytes.length).messages).toHaveLength(6)
  })

  for (const ending of ['cut', 'end'] as const) {
    const how = ending === 'cut' ? 'the TCP connection closes mid-body (a network error)' : 'the server ends the response mid-event'
    test(`${how}: at every byte offset, the dispatched events and the Last-Event-ID of the reconnection match the complete blocks`, async () => {
      const failures: string[] = []
      const offsets = Array.from({ length: SAMPLE.bytes.length + 1 }, (_, n) => n)
      const kind = ending === 'cut' ? 'network' : 'end'
      // A few cuts at a time, each on its own path.
      for (let start = 0; start < offsets.length; start += 12) {
        await Promise.all(
          offsets.slice(start, start + 12).map(async (n) => {
            const { messages, errors, requests } = await cutAt(n, ending, `/every/${ending}/${n}`)
            const expected = expectedAfter(n)
            const got = {
              messages,
              reconnectedWith: lastEventIdOf(requests[1]?.lastEventId),
              firstError: errors[0]?.kind,
              requests: requests.length,
            }
            const want = { messages: expected.messages, reconnectedWith: expected.lastEventId, firstError: kind, requests: 2 }
            if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`cut after byte ${n}: ${JSON.stringify({ got, want })}`)
          }),
        )
      }
      expect(failures).toEqual([])
    })
  }

  test('a stream that arrives one byte at a time dispatches every event exactly as a stream in one piece does', async () => {
    server.route('/bytewise', oneByteAtATime(SAMPLE.bytes, { gapMs: 1, then: 'hold' }))
    const source = open('/bytewise')
    const messages = recordMessages(source)
    const all = expectedAfter(SAMPLE.bytes.length).messages
    await waitFor(() => messages.length >= all.length, { timeoutMs: 8000, message: 'every event of the bytewise stream' })
    expect(messages).toEqual(all)
    expect(server.requestsTo('/bytewise')).toHaveLength(1)
  })
})

describe('exactly once with resume: 100 random cuts over 10,000 events', () => {
  const SEED = Number(process.env.FAULT_SEED ?? 20240605)

  test(`each id arrives exactly once, in order, with its whole payload (seed ${SEED}; FAULT_SEED=n to change)`, async () => {
    const random = seededRandom(SEED)
    const CUTS = 100
    const endings: Ending[] = ['cut', 'end', 'reset']
    const usedEndings = new Set<Ending>()
    const numbered = resumableStream(10_000, ({ attempt, remaining }) => {
      if (attempt >= CUTS) return undefined
      const left = CUTS - attempt
      // Cuts spread over what is left, so that all of them fall inside the stream.
      const cutAfter = Math.min(remaining - 1, 1 + Math.floor(random() * ((2 * remaining) / (left + 1))))
      const then = endings[Math.floor(random() * endings.length)]
      usedEndings.add(then)
      return { cutAfter, then, chunkSize: 1 + Math.floor(random() * 4096) }
    })
    server.route('/numbered', numbered.handler)

    // Default options: the server's `retry: 1` sets the reconnection time, and every connection that
    // delivered an event resets the backoff, so 100 cuts cost no growing waits.
    const source = open('/numbered')
    let next = 1
    const problems: string[] = []
    const onMessage = (event: MessageEvent): void => {
      const id = Number(event.lastEventId)
      if (id !== next) problems.push(`expected id ${next}, got ${event.lastEventId} (${id < next ? 'duplicate' : 'gap'})`)
      else if (event.data !== numbered.dataOf(id) || event.type !== numbered.typeOf(id))
        problems.push(`id ${id}: wrong or partial payload ${JSON.stringify(event.data)}`)
      next = id + 1
    }
    source.addEventListener('message', onMessage)
    source.addEventListener('tick', onMessage)
    await waitFor(() => next > numbered.total || problems.length > 0, {
      timeoutMs: 12_000,
      message: 'all 10,000 events',
      describe: () => ({ next, requests: server.requestsTo('/numbered').length, problems: problems.slice(0, 3) }),
    })
    expect(problems.slice(0, 10)).toEqual([])
    expect(next).toBe(numbered.total + 1)
    // Every planned cut happened: 100 cut responses and the one that finished the stream.
    expect(server.requestsTo('/numbered')).toHaveLength(CUTS + 1)
    expect([...usedEndings].sort()).toEqual(['cut', 'end', 'reset'])
    // Each reconnection resumed where the previous one stopped dispatching.
    const resumedFrom = server.requestsTo('/numbered').map((r) => Number(r.lastEventId ?? 0))
    expect(resumedFrom).toEqual([...resumedFrom].sort((a, b) => a - b))
  }, 20_000)
})
