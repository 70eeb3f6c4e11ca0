/**
 * LaunchDarkly's SSE contract tests, "basic parsing" (ssetests/tests_basic_parsing.go), restated
 * against our EventSource and a hand-fed loopback stream. Each test name says the behaviour, then
 * the contract test it comes from in quotes.
 */
import { randomBytes } from 'node:crypto'
import { useContractHarness } from './helpers/contract-harness'
import { settle } from './helpers/recorder'

const h = useContractHarness()

/** Random text of `bytes` random bytes, base64-encoded (as the contract suite builds its large payloads). */
function randomText(bytes: number): string {
  return randomBytes(bytes).toString('base64')
}

describe('contract: basic parsing (tests_basic_parsing.go)', () => {
  test('a one-line event written as one chunk is dispatched with its data ("one-line message in one chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\n\n')
    await client.requireEvents({ data: 'Hello' })
  })

  test('two events spread over three chunks, one chunk ending the first and starting the second, are both intact ("two messages spanning 3 chunks with shared chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: test')
    await new Promise((resolve) => setTimeout(resolve, 5))
    stream.send('test\n\ndata:')
    await new Promise((resolve) => setTimeout(resolve, 5))
    stream.send('test\n\n')
    await client.requireEvents({ data: 'testtest' }, { data: 'test' })
  })

  test('a ~7 MB data line written as one chunk arrives whole ("large message in one chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    const data = randomText(5 * 1024 * 1024)
    stream.send(`data: ${data}\n\n`)
    const event = await client.nextEvent(10000)
    // Compare without printing megabytes on failure.
    expect(event.data.length).toBe(data.length)
    expect(event.data === data).toBe(true)
  })

  test('a ~14 MB data line split over two writes arrives whole ("large message in two chunks")', async () => {
    const { stream, client } = await h.streamAndClient()
    const first = randomText(5 * 1024 * 1024)
    const second = randomText(5 * 1024 * 1024)
    stream.send(`data: ${first}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
    stream.send(`${second}\n\n`)
    const event = await client.nextEvent(10000)
    expect(event.data.length).toBe(first.length + second.length)
    expect(event.data === first + second).toBe(true)
  })

  test('a line split in the middle of its value across two chunks is joined ("one-line message in two chunks")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hel')
    await new Promise((resolve) => setTimeout(resolve, 5))
    stream.send('lo\n\n')
    await client.requireEvents({ data: 'Hello' })
  })

  test('two events in one chunk are dispatched separately, in order ("two one-line messages in one chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\n\ndata: World\n\n')
    await client.requireEvents({ data: 'Hello' }, { data: 'World' })
  })

  test('two data lines of one event are joined with a line feed ("one two-line message in one chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\ndata:World\n\n')
    await client.requireEvents({ data: 'Hello\nWorld' })
  })

  test('an empty data field dispatches an event with empty data ("empty data")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data:\n\n')
    await client.requireEvents({ data: '' })
  })

  test('the event field sets the event type, heard by a listener for that type ("event with specific type")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send('event: greeting\ndata: Hello\n\n')
    await client.requireEvents({ type: 'greeting', data: 'Hello' })
  })

  test('without an event field the type is "message" ("default event type")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\n\n')
    const event = await client.nextEvent()
    expect(event.type).toBe('message')
    expect(event.data).toBe('Hello')
  })

  test('the id field becomes the event\'s lastEventId ("event with ID")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('id: abc\ndata: Hello\n\n')
    await client.requireEvents({ id: 'abc', data: 'Hello' })
  })

  test('type and id together are both applied ("event with type and ID")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send('event: greeting\nid: abc\ndata: Hello\n\n')
    await client.requireEvents({ type: 'greeting', id: 'abc', data: 'Hello' })
  })

  test('an id field containing NUL is ignored, the event is still dispatched ("ID field is ignored if it contains a null")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('id: a\u0000bc\ndata: Hello\n\n')
    await client.requireEvents({ id: '', data: 'Hello' })
  })

  test('the last event id carries over to later events without an id field ("last ID persists if not overridden by later event")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('id: abc\ndata: first\n\n')
    stream.send('data: second\n\n')
    await client.requireEvents({ id: 'abc', data: 'first' }, { id: 'abc', data: 'second' })
  })

  test('an empty id field resets the last event id to empty ("last ID can be overridden by an empty value")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('id: abc\ndata: first\n\n')
    stream.send('id: \ndata: second\n\n')
    await client.requireEvents({ id: 'abc', data: 'first' }, { id: '', data: 'second' })
  })

  test('fields apply whatever their order within the event ("fields in reverse order")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send('data: Hello\nid: abc\nevent: greeting\n\n')
    await client.requireEvents({ type: 'greeting', id: 'abc', data: 'Hello' })
  })

  test('a field with an unknown name is ignored ("unknown field is ignored")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send('event: greeting\ncolor: blue\ndata: Hello\n\n')
    await client.requireEvents({ type: 'greeting', data: 'Hello' })
  })

  test('a field with no space after the colon keeps its whole value ("fields without leading space")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, ['greeting'])
    stream.send('event:greeting\ndata:Hello\n\n')
    await client.requireEvents({ type: 'greeting', data: 'Hello' })
  })

  test('only one space after the colon is removed; a second one stays in the value ("fields with extra leading space")', async () => {
    const { stream, client } = await h.streamAndClient(undefined, [' greeting', 'greeting'])
    stream.send('event:  greeting\ndata:  Hello\n\n')
    await client.requireEvents({ type: ' greeting', data: ' Hello' })
  })

  test('a line "data" without a colon counts as an empty data field ("field with no colon")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data\n\ndata\ndata\n\n')
    await client.requireEvents({ data: '' }, { data: '\n' })
  })

  test('multi-byte UTF-8 characters are decoded ("multi-byte characters")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: €豆腐\n\n')
    await client.requireEvents({ data: '€豆腐' })
  })

  test('100 events written at once are dispatched in order, none lost ("many messages in rapid succession")', async () => {
    const { stream, client } = await h.streamAndClient()
    const expected = Array.from({ length: 100 }, (_, i) => ({ data: `message ${i}` }))
    stream.send(expected.map((e) => `data: ${e.data}\n\n`).join(''))
    await client.requireEvents(...expected)
    await settle(20)
    expect(client.unconsumed).toEqual([])
  })

  test('multi-byte characters written one byte per chunk are decoded across the chunk boundaries ("multi-byte characters sent in single-byte pieces")', async () => {
    const { stream, client } = await h.streamAndClient()
    await stream.sendInChunks('data: €豆腐\n\n', 1, 3)
    await client.requireEvents({ data: '€豆腐' })
  })
})
