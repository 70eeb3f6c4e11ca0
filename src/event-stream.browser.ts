import { createParser, type ParseError } from 'eventsource-parser'
import type { EventStreamHandlers } from './event-stream'

/**
 * The browser builds' version of event-stream.ts: the same interface and rules, without its
 * line splitting in the bytes. That splitting pays in Node, whose `Buffer` searches bytes natively;
 * browsers search a `Uint8Array` far slower than the parser searches text, so here the bytes go
 * through one streaming decoder straight into the parser (HTML § 9.2.5: "Streams must be decoded
 * using the UTF-8 decode algorithm"), and the parser bounds what it buffers.
 */
export class EventStream {
  readonly #parser
  /** `ignoreBOM` keeps a BOM in the text, so that the parser strips exactly one (§ 9.2.5). */
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  #overflowed = false

  constructor(handlers: EventStreamHandlers, maxEventSize: number) {
    this.#parser = createParser({
      // An event that arrives whole in one chunk never sits in the parser's buffer, so its size is
      // checked here too; what follows it in that chunk is dropped with it, ids included.
      onEvent: (message) => {
        if (message.data.length > maxEventSize) this.#overflowed = true
        if (!this.#overflowed) handlers.onEvent(message)
      },
      onId: (id) => {
        if (!this.#overflowed) handlers.onId(id)
      },
      onRetry: (ms) => {
        if (!this.#overflowed) handlers.onRetry(ms)
      },
      // Only when wanted: without it the parser skips comment lines, however long; with it a comment
      // is a line the parser keeps, bounded as the others.
      onComment:
        handlers.onComment &&
        ((text) => {
          if (!this.#overflowed) handlers.onComment!(text)
        }),
      // Bounds the event being built and the line still arriving; unknown fields are skipped.
      maxBufferSize: maxEventSize,
      onError: (error: ParseError) => {
        if (error.type === 'max-buffer-size-exceeded') this.#overflowed = true
      },
    })
  }

  /** Starts a new stream: any partial character, line or event of the previous one is discarded. */
  reset(): void {
    this.#decoder.decode()
    this.#parser.reset()
    this.#overflowed = false
  }

  /** Interprets the next bytes; false once an event or line grew past the size bound. */
  feed(bytes: Uint8Array): boolean {
    if (!this.#overflowed) this.#parser.feed(this.#decoder.decode(bytes, STREAM))
    return !this.#overflowed
  }
}

const STREAM: TextDecodeOptions = { stream: true }
