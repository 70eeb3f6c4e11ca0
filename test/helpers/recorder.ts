/** Something that dispatches events and has a readyState, like our EventSource or the platform's. */
export interface SourceLike extends EventTarget {
  readonly readyState: number
}

/** One event as a test saw it, with the source's readyState at dispatch time. */
export interface RecordedEvent {
  type: string
  readyState: number
  data?: string
  lastEventId?: string
  origin?: string
  event: Event
}

/** Records every event of the given types, in dispatch order. */
export function recordEvents(source: SourceLike, types: string[] = ['open', 'message', 'error']): RecordedEvent[] {
  const events: RecordedEvent[] = []
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const message = event as MessageEvent
      events.push({
        type: event.type,
        readyState: source.readyState,
        data: typeof message.data === 'string' ? message.data : undefined,
        lastEventId: message.lastEventId,
        origin: message.origin,
        event,
      })
    })
  }
  return events
}

/** The `data` of every recorded `message` event (or of `type`). */
export function dataOf(events: RecordedEvent[], type = 'message'): (string | undefined)[] {
  return events.filter((e) => e.type === type).map((e) => e.data)
}

/** The type of every recorded event, in order. */
export function typesOf(events: RecordedEvent[]): string[] {
  return events.map((e) => e.type)
}

/**
 * Resolves once `condition()` is true; polls on a short interval with real timers.
 * Rejects with `message` (and the last value of `describe()`) when `timeoutMs` passes first.
 */
export async function waitFor(
  condition: () => boolean,
  { timeoutMs = 5000, message = 'condition', describe }: { timeoutMs?: number; message?: string; describe?: () => unknown } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) {
      const state = describe ? ` (last state: ${JSON.stringify(describe())})` : ''
      throw new Error(`timed out waiting for ${message}${state}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Resolves with the next event of `type` on `target`. */
export function nextEvent(target: EventTarget, type: string): Promise<Event> {
  return new Promise((resolve) => target.addEventListener(type, resolve, { once: true }))
}

/** Waits a little while real time passes, to show that something does NOT happen. */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
