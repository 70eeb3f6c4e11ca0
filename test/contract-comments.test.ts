/**
 * LaunchDarkly's SSE contract tests, "comments" (ssetests/tests_comments.go), restated against our
 * EventSource and a hand-fed loopback stream. Their tests need the "comments" capability: the
 * client hands each comment's text to the caller: ours does with the `onComment` option, and those
 * expectations are in test/comments.test.ts. Here, without `onComment`, as the WHATWG API: a
 * comment is ignored, dispatches nothing, and does not disturb the events around it. Comments do
 * count as traffic for `readTimeout` (our heartbeat rule), which is tested at the end.
 */
import { constantBackoff } from '../src'
import { useContractHarness } from './helpers/contract-harness'
import { settle } from './helpers/recorder'

const h = useContractHarness()

const gap = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('contract: comments (tests_comments.go), comments ignored rather than delivered', () => {
  test('a single comment line dispatches no event and no error ("single comment")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(':Hello\n')
    await settle(60)
    // A later event proves the comment was read and the stream is still healthy.
    stream.send('data: after\n\n')
    await client.requireEvents({ data: 'after' })
    expect(client.errors).toEqual([])
  })

  test('two comment lines in a row, in separate chunks, dispatch nothing ("two comments in a row")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(':Hello\n')
    await gap()
    stream.send(':World\n')
    await settle(60)
    stream.send('data: after\n\n')
    await client.requireEvents({ data: 'after' })
    expect(client.errors).toEqual([])
  })

  test('a comment before an event leaves the event as if the comment were absent ("comment before event")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send(':Hello\n')
    await gap()
    stream.send('data: Hello\n\n')
    await client.requireEvents({ type: 'message', data: 'Hello' })
    await settle(30)
    expect(client.unconsumed).toEqual([])
  })

  test('a comment after an event dispatches nothing more ("comment after event")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: Hello\n\n')
    await gap()
    stream.send(':Hello\n')
    await client.requireEvents({ type: 'message', data: 'Hello' })
    await settle(60)
    expect(client.unconsumed).toEqual([])
    expect(client.errors).toEqual([])
  })

  test('a comment between the lines of one event neither ends the event nor adds to its data (from "comment before event")', async () => {
    const { stream, client } = await h.streamAndClient()
    stream.send('data: one\n:a remark\ndata: two\n\n')
    await client.requireEvents({ data: 'one\ntwo' })
  })

  test('comments keep a readTimeout from firing: a stream that sends only comments stays on one connection (comments as heartbeats)', async () => {
    const { stream, client } = await h.streamAndClient({ readTimeout: 150, retryDelay: 5, backoff: constantBackoff })
    for (let i = 0; i < 8; i += 1) {
      stream.send(':\n')
      await settle(50)
    }
    // 400 ms of comments every 50 ms, more than twice the read timeout, on the first connection.
    expect(client.errors).toEqual([])
    expect(h.connections).toHaveLength(1)
    stream.send('data: still here\n\n')
    await client.requireEvents({ data: 'still here' })
  })
})
