/**
 * LaunchDarkly's SSE contract tests, "BOM handling" (ssetests/tests_bom.go), restated against our
 * EventSource and a hand-fed loopback stream. The stream is decoded as UTF-8 and one byte order
 * mark at its very start is dropped; a BOM anywhere else is data.
 */
import { useContractHarness } from './helpers/contract-harness'

const h = useContractHarness()

/** The UTF-8 byte order mark, as bytes. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
/** The same character, as it reads once decoded. */
const BOM_CHAR = '\ufeff'

function bytes(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)))
}

const gap = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('contract: BOM handling (tests_bom.go)', () => {
  test('a BOM before the first field is dropped ("BOM at start of stream is stripped")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, 'data: Hello\n\n'))
    await client.requireEvents({ data: 'Hello' })
  })

  test('a BOM before an event with type and id leaves the event field name intact ("BOM stripped before first event with type and ID")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send(bytes(BOM, 'event: greeting\nid: abc\ndata: Hello\n\n'))
    await client.requireEvents({ type: 'greeting', id: 'abc', data: 'Hello' })
  })

  test('after a leading BOM, every later event is parsed normally ("BOM stripped with multiple messages")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, 'data: First\n\ndata: Second\n\n'))
    await client.requireEvents({ data: 'First' }, { data: 'Second' })
  })

  test('a BOM later in the stream is kept as data ("BOM only stripped at stream start, not from later data")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: First\n\n')
    await gap()
    stream.send(bytes('data: ', BOM, 'Second\n\n'))
    await client.requireEvents({ data: 'First' }, { data: `${BOM_CHAR}Second` })
  })

  test('a leading BOM split 2 + 1 bytes over the first two chunks is still dropped ("BOM split across first two chunks")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(BOM.subarray(0, 2))
    await gap()
    stream.send(bytes(BOM.subarray(2), 'data: Hello\n\n'))
    await client.requireEvents({ data: 'Hello' })
  })

  test('a leading BOM written one byte per chunk is still dropped ("BOM split byte by byte across chunks")', async () => {
    const { stream, client } = await h.streamAndClient()
    await stream.sendInChunks(BOM, 1, 5)
    await gap()
    stream.send('data: Hello\n\n')
    await client.requireEvents({ data: 'Hello' })
  })

  test('only the first BOM is dropped; a BOM inside the first data value stays ("only first BOM at start is stripped")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, 'data: ', BOM, 'Hello\n\n'))
    await client.requireEvents({ data: `${BOM_CHAR}Hello` })
  })

  test('two BOMs in a row at the start: the second one is part of the first line, whose field name then matches nothing', async () => {
    // Not in tests_bom.go; the boundary case of "only first BOM at start is stripped": the
    // second BOM makes the first line's field name "\ufeffdata", an unknown field.
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, BOM, 'data: lost\n\ndata: kept\n\n'))
    await client.requireEvents({ data: 'kept' })
  })

  test('a stream without a BOM parses the same ("no BOM - baseline test")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\n\n')
    await client.requireEvents({ data: 'Hello' })
  })

  test('after a leading BOM, a two-line data field is joined as usual ("BOM with multi-line data")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, 'data: Line1\ndata: Line2\n\n'))
    await client.requireEvents({ data: 'Line1\nLine2' })
  })

  test('a comment right after a leading BOM is ignored and the next event is dispatched ("BOM with comment at start"; comments are not delivered by us)', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, ':comment\ndata: Hello\n\n'))
    await client.requireEvents({ data: 'Hello' })
  })

  test('after a leading BOM, an empty data field still dispatches an empty event ("BOM does not affect empty data field")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(bytes(BOM, 'data:\n\n'))
    await client.requireEvents({ data: '' })
  })
})
