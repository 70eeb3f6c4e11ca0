/**
 * Where a core scenario's result in an engine departs from the HTML standard (§ 9.2 Server-sent
 * events): the spec step, and what happens instead (as a scenario result). `native` lists the
 * engine's own EventSource; `ours` lists what the engine's platform (its fetch) makes ours do.
 * The suites expect exactly this, in pages and workers alike, and the spec's result everywhere
 * else; each one is a test named after the step. The README's "Where ours differs from the
 * browser's own EventSource" lists them.
 */
import { coreScenarios, type ScenarioName } from '../core-routes'
import type { EngineName } from '../engines'

export interface Departure {
  /** The spec step the engine departs from, and how; the test's name. */
  step: string
  expected(origin: string, base: string): unknown
}

/** The spec's result of a scenario without the message whose data is `data`. */
function withoutMessage(name: ScenarioName, data: string) {
  return (origin: string, base: string) =>
    (coreScenarios.find((scenario) => scenario.name === name)!.expected(origin, base) as { data?: string }[]).filter(
      (entry) => entry.data !== data,
    )
}

type Departures = Partial<Record<EngineName, Partial<Record<ScenarioName, Departure>>>>

export const nativeDepartures: Departures = {
  firefox: {
    parsing: {
      step: 'drops a whole event whose id field contains U+0000 NULL, where § 9.2.6 says to ignore only the field ("If the field value does not contain U+0000 NULL, then set the last event ID buffer to the field value. Otherwise, ignore the field.") and dispatch the event',
      expected: withoutMessage('parsing', 'null id ignored'),
    },
  },
}

export const oursDepartures: Departures = {
  webkit: {
    lastEventId: {
      step: 'a non-ASCII last event ID reaches the server UTF-8-encoded twice, where reestablish step 5.3 says to send it "encoded as UTF-8": the header value ours hands to fetch is the UTF-8 bytes (a header value is a byte sequence, one byte per character), and WebKit\'s fetch encodes those characters as UTF-8 again (its own EventSource sends the id right); the server sees "abc Ã©" and echoes it',
      expected: (origin) =>
        (coreScenarios.find((scenario) => scenario.name === 'lastEventId')!.expected(origin, '') as { data?: string }[]).map((entry) =>
          entry.data === 'abc é' ? { ...entry, data: 'abc Ã©' } : entry,
        ),
    },
  },
}

/** Where `impl` (`native`, or ours from any build) departs from the spec on `scenario` in `engine`. */
export function departure(engine: EngineName, impl: string, scenario: ScenarioName): Departure | undefined {
  return (impl === 'native' ? nativeDepartures : oursDepartures)[engine]?.[scenario]
}

/**
 * Engines that hand a script (fetch) and their own EventSource a response only once its first
 * body byte arrived, not when its headers did. A stream whose server sends the headers and then
 * nothing stays CONNECTING there, for the engine's class and ours alike, until the first byte (a
 * comment line will do).
 */
export const opensOnFirstByte: Partial<Record<EngineName, string>> = {
  firefox:
    'Firefox announces the connection (open, OPEN) only when the first body byte arrives, where § 9.2.2 processResponse announces it once the response (its headers) is in: its fetch resolves then, so ours opens then too',
}
