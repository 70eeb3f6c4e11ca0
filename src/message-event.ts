import { BROWSER_SCRIPT } from './platform'

/**
 * The `MessageEvent` to dispatch messages with: the platform's (browsers, workers, Node 15+, Deno,
 * Bun), else a minimal stand-in with the fields an EventSource message has.
 */
export const MessageEventImpl: typeof MessageEvent =
  BROWSER_SCRIPT || typeof MessageEvent === 'function'
    ? MessageEvent
    : (class MessageEvent<T = unknown> extends Event {
        readonly data: T
        readonly origin: string
        readonly lastEventId: string
        constructor(type: string, init: MessageEventInit<T> = {}) {
          super(type, init)
          this.data = init.data as T
          this.origin = init.origin ?? ''
          this.lastEventId = init.lastEventId ?? ''
        }
      } as unknown as typeof MessageEvent)

/** What a message event is made of (§ 9.2.6 "dispatch the event", steps 4–8). */
export interface MessageInit {
  data: string
  origin: string
  lastEventId: string
}

/** Whether this page's `document` makes message events that initMessageEvent() can fill in. */
let canInitEvents: boolean | undefined

/**
 * Makes the `MessageEvent` of one message. In the browser builds, in a page, it is made by
 * `document.createEvent('MessageEvent')` and `initMessageEvent(…)`: the same event as the
 * constructor's (every attribute alike, before, during and after dispatch), but cheaper to make
 * than reading an init dictionary (`npm run bench`, browser section). Workers have no `document`:
 * there, and everywhere else, the constructor.
 */
export function createMessageEvent(type: string, init: MessageInit): MessageEvent {
  if (BROWSER_SCRIPT && canInitMessageEvents()) {
    const event = document.createEvent('MessageEvent')
    event.initMessageEvent(type, false, false, init.data, init.origin, init.lastEventId)
    return event
  }
  return new MessageEventImpl(type, init)
}

function canInitMessageEvents(): boolean {
  canInitEvents ??= typeof document === 'object' && typeof MessageEvent.prototype.initMessageEvent === 'function'
  return canInitEvents
}
