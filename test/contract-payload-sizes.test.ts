/**
 * LaunchDarkly's SSE contract tests, "payload size stress" (ssetests/tests_payload_sizes.go),
 * restated against our EventSource and a hand-fed loopback stream. Their sweep puts data sizes
 * around the buffer sizes of common runtimes (1 KiB, 4 KiB, 8 KiB, …) to catch a client that
 * stalls until more bytes arrive; each event must arrive within 3 s. The tests after the sweep
 * (many small events, a large event among small ones, many data lines) are ours, in the same
 * spirit.
 */
import { useContractHarness } from './helpers/contract-harness'
import { settle, waitFor } from './helpers/recorder'

const h = useContractHarness()

/** Their sweep of data lengths in bytes (the wire adds "data: " and "\n\n"). */
const sweep = [
  1, 128, 512, 1023, 1024, 1025, 2048, 3999, 4094, 4096, 4098, 6144, 8189, 8192, 8195, 12288, 16384, 32768, 65536, 262144, 1048576,
]

/** Their "delivered promptly": well under any stall of the kind they hunt (tens of seconds). */
const PROMPTLY_MS = 3000

describe('contract: payload sizes (tests_payload_sizes.go)', () => {
  test.each(sweep)(
    'an event whose data is %i bytes long is dispatched whole and promptly, with the stream left open ("payload of N bytes is delivered promptly")',
    async (size) => {
      const { stream, client } = await h.streamAndClient()
      const data = 'x'.repeat(size)
      // The stream stays open after the event, so nothing but the blank line can end it.
      stream.send(`data: ${data}\n\n`)
      const event = await client.nextEvent(PROMPTLY_MS)
      expect(event.data.length).toBe(size)
      expect(event.data === data).toBe(true)
    },
  )

  test('10,000 small events written in one go are all dispatched, in order (many small events)', async () => {
    const { stream, client } = await h.streamAndClient()
    const count = 10000
    let text = ''
    for (let i = 0; i < count; i += 1) text += `id: ${i}\ndata: ${i}\n\n`
    stream.send(text)
    for (let i = 0; i < count; i += 1) {
      const event = await client.nextEvent(PROMPTLY_MS)
      if (event.data !== String(i) || event.id !== String(i)) throw new Error(`event #${i} was ${JSON.stringify(event)}`)
    }
    await settle(20)
    expect(client.unconsumed).toEqual([])
  })

  test('1,000 small events, each written as its own HTTP chunk, are all dispatched, in order (many small events, many chunks)', async () => {
    const { stream, client } = await h.streamAndClient()
    const count = 1000
    for (let i = 0; i < count; i += 1) {
      stream.send(`data: ${i}\n\n`)
      // Writes in one tick are corked together; yielding makes each its own chunk.
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => client.events.length >= count, {
      timeoutMs: PROMPTLY_MS,
      message: `${count} events`,
      describe: () => client.events.length,
    })
    expect(client.events.map((e) => e.data)).toEqual(Array.from({ length: count }, (_, i) => String(i)))
  })

  test('a 512 KiB event between small events leaves its neighbours intact (large event among small ones)', async () => {
    const { stream, client } = await h.streamAndClient()
    const big = 'é'.repeat(256 * 1024) // 512 KiB of UTF-8, 256 Ki characters
    stream.send(`data: before\n\ndata: ${big}\n\ndata: after\n\n`)
    expect((await client.nextEvent(PROMPTLY_MS)).data).toBe('before')
    const event = await client.nextEvent(PROMPTLY_MS)
    expect(event.data.length).toBe(big.length)
    expect(event.data === big).toBe(true)
    expect((await client.nextEvent(PROMPTLY_MS)).data).toBe('after')
  })

  test('an event of 1,000 data lines of 1 KiB each, written in 4 KiB chunks, is joined with line feeds (large multi-line event)', async () => {
    const { stream, client } = await h.streamAndClient()
    const lines = Array.from({ length: 1000 }, (_, i) => String(i).padStart(1024, '.'))
    const text = `${lines.map((line) => `data: ${line}\n`).join('')}\n`
    await stream.sendInChunks(text, 4096, 0)
    const event = await client.nextEvent(PROMPTLY_MS)
    expect(event.data === lines.join('\n')).toBe(true)
  })
})
