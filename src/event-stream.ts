import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser'

/** What the source does with what the stream says. */
export interface EventStreamHandlers {
  /** A complete event with non-empty data (HTML § 9.2.6 "dispatch the event", steps 2–8). */
  onEvent(message: EventSourceMessage): void
  /** An `id:` field ended a block, with or without data; '' resets the last event ID. */
  onId(id: string): void
  /** A valid `retry:` field: the new reconnection time in ms. */
  onRetry(ms: number): void
}

/**
 * The text/event-stream interpreter of one source (HTML § 9.2.5–9.2.6), on eventsource-parser.
 * One parser and one streaming UTF-8 decoder serve every connection of a source; `reset()` starts
 * a new stream. A multi-byte character or a BOM split across chunks survives.
 */
export class EventStream {
  readonly #parser
  // § 9.2.5: "Streams must be decoded using the UTF-8 decode algorithm". `ignoreBOM` keeps a BOM
  // in the text so that the parser strips exactly one ("One leading U+FEFF BYTE ORDER MARK
  // character must be ignored if any are present"); a second one belongs to the first line.
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  /** Whether the decoder may hold the first bytes of a character split across chunks. */
  #midCharacter = false
  #overflowed = false

  constructor(handlers: EventStreamHandlers, maxEventSize: number) {
    this.#parser = createParser({
      // An event that arrives whole in one chunk never sits in the parser's buffer, so its size is
      // checked here too: `maxEventSize` bounds every event, not only the ones still arriving.
      onEvent: (message) => {
        if (message.data.length > maxEventSize) this.#overflowed = true
        if (!this.#overflowed) handlers.onEvent(message)
      },
      // The parser goes on with the rest of that chunk: what follows an oversized event is dropped
      // with it, ids included, so that a reconnection resumes right after the oversized event.
      onId: (id) => {
        if (!this.#overflowed) handlers.onId(id)
      },
      onRetry: (ms) => {
        if (!this.#overflowed) handlers.onRetry(ms)
      },
      maxBufferSize: maxEventSize,
      onError: (error: ParseError) => {
        // Unknown fields and bogus `retry:` values are ignored, as the spec says (§ 9.2.6).
        if (error.type === 'max-buffer-size-exceeded') this.#overflowed = true
      },
    })
  }

  /** Starts a new stream: any partial line or event of the previous one is discarded. */
  reset(): void {
    this.#parser.reset()
    // The decoder is reused: a final one-shot decode drops what the last stream left half-decoded.
    if (this.#midCharacter) this.#decoder.decode()
    this.#midCharacter = false
    this.#overflowed = false
  }

  /**
   * Interprets the next bytes. Returns false when an event or line grew past the size bound: the
   * stream must then be abandoned.
   */
  feed(bytes: Uint8Array): boolean {
    this.#parser.feed(this.#decode(bytes))
    return !this.#overflowed
  }

  /**
   * Streaming decoding is several times slower than one-shot decoding in Node, so a chunk takes
   * the one-shot path when it cannot split a character: the decoder holds nothing from the last
   * chunk, and this one ends in an ASCII byte (which is never part of a multi-byte sequence).
   */
  #decode(bytes: Uint8Array): string {
    if (bytes.length === 0) return ''
    const endsInAscii = bytes[bytes.length - 1] < 0x80
    const text = !this.#midCharacter && endsInAscii ? this.#decoder.decode(bytes) : this.#decoder.decode(bytes, STREAM)
    this.#midCharacter = !endsInAscii
    return text
  }
}

const STREAM: TextDecodeOptions = { stream: true }
