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
