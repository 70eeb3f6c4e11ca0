/**
 * Node's own EventSource (Node 22+, behind --experimental-eventsource) beside ours, on the core
 * scenarios: both must give what the HTML standard says. Run by scripts/node-matrix.mjs with
 * NODE_OPTIONS=--experimental-eventsource on the Node majors that have it; the file name is not
 * `*.test.ts`, so the plain `jest` run (where there is no native EventSource) does not pick it up.
 */
import { EventSource as OurEventSource } from '../../src'
import { startServer, type TestServer } from '../helpers/server'
import { comparable, coreScenarios, type CoreScenario, type CoreScenariosApi, type ScenarioName } from '../browser/core-routes'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require('../browser/fixtures/core-scenarios.js') as CoreScenariosApi

const NativeEventSource = (globalThis as { EventSource?: unknown }).EventSource as typeof OurEventSource | undefined

let server: TestServer

beforeAll(async () => {
  if (typeof NativeEventSource !== 'function' || NativeEventSource === OurEventSource) {
    throw new Error(
      `Node ${process.version} has no native EventSource here: run this file through scripts/node-matrix.mjs ` +
        '(Node 22+, NODE_OPTIONS=--experimental-eventsource)',
    )
  }
  server = await startServer()
})

afterAll(async () => {
  await server?.close()
})

test(`the global EventSource is Node ${process.versions.node}'s own, not ours`, () => {
  expect(typeof NativeEventSource).toBe('function')
  expect(NativeEventSource).not.toBe(OurEventSource)
  expect(NativeEventSource!.name).toBe('EventSource')
})

/**
 * Where Node's own EventSource does not do what the spec says, by Node major: what it does
 * instead, and the spec step it departs from. Each one is a test of its own that expects the
 * deviation, so that a Node release that fixes it shows up as a failing test (then drop the entry).
 */
interface Deviation {
  scenario: ScenarioName
  majors: number[]
  /** The spec step Node departs from, and how. */
  description: string
  expected(origin: string): unknown
  checkRequests?(server: TestServer, base: string): void
}

const message = (data: string, lastEventId: string, origin: string, readyState = 1) => ({
  type: 'message',
  readyState,
  data,
  lastEventId,
  origin,
  isMessageEvent: true,
})

const deviations: Deviation[] = [
  {
    scenario: 'close',
    majors: [22, 24],
    description:
      'dispatches the rest of a chunk after close() (§ 9.2.6 "dispatch the event", step 9: the task dispatches the event only "if the readyState attribute is set to a value other than CLOSED")',
    expected: (origin) => [{ type: 'open', readyState: 1 }, message('1', '', origin), { closed: 2 }, message('2', '', origin, 2)],
  },
  {
    scenario: 'lastEventId',
    majors: [22, 24],
    description:
      'sends a non-ASCII Last-Event-ID as Latin-1 bytes, not UTF-8 (§ 9.2.3 "reestablish the connection", step 5.3: "set (`Last-Event-ID`, last event ID string, encoded as UTF-8)")',
    expected: (origin) => [
      { type: 'open', readyState: 1 },
      message('one', 'abc é', origin),
      { type: 'error', readyState: 0 },
      { type: 'open', readyState: 1 },
      // The server echoes the byte 0xE9 it got, which is no UTF-8: the client decodes U+FFFD.
      message('abc \uFFFD', 'abc é', origin),
    ],
    checkRequests(server, base) {
      const [, second] = server.requestsTo(base)
      expect(Buffer.from(String(second.headers['last-event-id']), 'latin1')).toEqual(Buffer.from([0x61, 0x62, 0x63, 0x20, 0xe9]))
    },
  },
  {
    scenario: 'lastEventIdReset',
    majors: [22],
    description:
      'keeps the last event ID when an `id` field is empty (§ 9.2.6 "process the field", id: "set the last event ID buffer to the field value", the empty string included)',
    expected: (origin) => [
      { type: 'open', readyState: 1 },
      message('one', '1', origin),
      message('two', '1', origin),
      { type: 'error', readyState: 0 },
      { type: 'open', readyState: 1 },
      message('1', '1', origin),
    ],
  },
]

const major = Number(process.versions.node.split('.')[0])

async function runScenario(scenario: CoreScenario, eventSourceClass: unknown, slug: string): Promise<{ base: string; result: unknown }> {
  const base = `/core/${scenario.name}/${slug}`
  scenario.install(server, base)
  const result = comparable(scenario.name, await client.scenarios[scenario.name](eventSourceClass, server.url(base)))
  return { base, result }
}

describe("Node's own EventSource", () => {
  for (const scenario of coreScenarios) {
    const deviation = deviations.find((d) => d.scenario === scenario.name && d.majors.includes(major))
    if (deviation) {
      test(`deviates from the spec: ${deviation.description}`, async () => {
        const { base, result } = await runScenario(scenario, NativeEventSource, 'native')
        expect(result).toEqual(deviation.expected(server.origin))
        deviation.checkRequests?.(server, base)
      })
    } else {
      test(scenario.rule, async () => {
        const { base, result } = await runScenario(scenario, NativeEventSource, 'native')
        expect(result).toEqual(scenario.expected(server.origin, base))
        scenario.checkRequests?.(server, base)
      })
    }
  }
})

describe('our EventSource, in the same process', () => {
  for (const scenario of coreScenarios) {
    test(scenario.rule, async () => {
      const { base, result } = await runScenario(scenario, OurEventSource, 'ours')
      expect(result).toEqual(scenario.expected(server.origin, base))
      scenario.checkRequests?.(server, base)
    })
  }
})
