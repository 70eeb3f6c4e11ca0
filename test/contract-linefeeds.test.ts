/**
 * LaunchDarkly's SSE contract tests, "linefeeds" (ssetests/tests_linefeeds.go), restated against
 * our EventSource and a hand-fed loopback stream: every input is parsed the same whether lines end
 * in LF, CRLF or CR, and whether the stream arrives in one chunk or in 1- or 2-byte chunks.
 */
import { useContractHarness, type ExpectedEvent } from './helpers/contract-harness'

const h = useContractHarness()

const terminators = [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['CR', '\r'],
] as const

/** The inputs of tests_linefeeds.go, built for one line terminator. */
function cases(eol: string): [string, string, ExpectedEvent[]][] {
  return [
    ['one-line event', `data: event 1${eol}${eol}`, [{ data: 'event 1' }]],
    [
      'one-line event + two-line event',
      `data: event 1${eol}${eol}data: event 2 line 1${eol}data: event 2 line 2${eol}${eol}`,
      [{ data: 'event 1' }, { data: 'event 2 line 1\nevent 2 line 2' }],
    ],
    ['3-line event with empty line at beginning', `data:${eol}data: line2${eol}data: line3${eol}${eol}`, [{ data: '\nline2\nline3' }]],
    ['3-line event with empty line in middle', `data: line1${eol}data:${eol}data: line3${eol}${eol}`, [{ data: 'line1\n\nline3' }]],
    ['ignores 1 extra empty line', `data: event 1${eol}${eol}${eol}data: event 2${eol}${eol}`, [{ data: 'event 1' }, { data: 'event 2' }]],
    [
      'ignores 2 extra empty lines',
      `data: event 1${eol}${eol}${eol}${eol}data: event 2${eol}${eol}`,
      [{ data: 'event 1' }, { data: 'event 2' }],
    ],
  ]
}

const deliveries = [
  ['one chunk', 0],
  ['1-character chunks', 1],
  ['2-character chunks', 2],
] as const

describe('contract: linefeeds (tests_linefeeds.go)', () => {
  for (const [eolName, eol] of terminators) {
    describe(`lines ending in ${eolName} ("${eolName} separator")`, () => {
      for (const [caseName, input, expected] of cases(eol)) {
        for (const [deliveryName, size] of deliveries) {
          test(`parse the same in ${deliveryName} ("${caseName}" / "${deliveryName}")`, async () => {
            const { stream, client } = await h.streamAndClient()
            if (size === 0) stream.send(input)
            else await stream.sendInChunks(input, size, 1)
            await client.requireEvents(...expected)
          })
        }
      }
    })
  }

  test('a CR at the end of one chunk and an LF at the start of the next are one line break, not two ("CRLF where CR is end of 1 chunk")', async () => {
    const { stream, client } = await h.streamAndClient()
    const gap = () => new Promise((resolve) => setTimeout(resolve, 5))
    for (const piece of ['data: Hello\r', '\ndata: World\r', '\n\r\ndata: OK\r', '\n', '\r', '\n']) {
      stream.send(piece)
      await gap()
    }
    await client.requireEvents({ data: 'Hello\nWorld' }, { data: 'OK' })
  })

  test('a CR at the very end of what has arrived so far dispatches its event without waiting for the next byte (CR separator, split)', async () => {
    // The boundary case of "CRLF where CR is end of 1 chunk": a stream that uses lone CRs must not
    // have its event held back waiting to see whether an LF follows.
    const { stream, client } = await h.streamAndClient()
    stream.send('data: now\r\r')
    await client.requireEvents({ data: 'now' })
  })
})
