import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser'

/** What the source does with what the stream says. */
export interface EventStreamHandlers {
  /** A complete event with non-empty data (HTML § 9.2.6 "dispatch the event", steps 2–8). */
  onEvent(message: EventSourceMessage): void
  /** An `id:` field ended a block, with or without data; '' resets the last event ID. */
  onId(id: string): void
  /** A valid `retry:` field: the new reconnection time in ms. */
  onRetry(ms: number): void
  /** Extension: a comment line's text after the colon (and one space); given only when wanted. */
  onComment?: (text: string) => void
}

const LF = 10
const CR = 13

/**
 * The text/event-stream interpreter of one source (HTML § 9.2.5–9.2.6), on eventsource-parser.
 * One parser serves every connection of a source; `reset()` starts a new stream.
 *
 * Line ends are found in the bytes, and the parser is only ever given complete lines (§ 9.2.5:
 * "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character
 * pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE RETURN (CR)
 * character"): per chunk, the line still arriving from earlier chunks completed by the chunk's
 * first line end, then the chunk up to its last line end, uncopied. The bytes after that wait in
 * `#pending` for the next chunk. So the parser never holds and rejoins fragments of a line, and a
 * piece of bytes to decode always ends in an ASCII line end: it never splits a character.
 */
export class EventStream {
  readonly #parser
  readonly #maxEventSize: number
  /** Whether the last piece was all ASCII: the next one is likely to be too. */
  #ascii = true
  /** The line still arriving: its bytes so far, in a buffer reused from line to line. */
  #pending = EMPTY
  #pendingLength = 0
  /** How many of the pending bytes were counted in `#pendingUnits` (UTF-16 code units). */
  #countedBytes = 0
  #pendingUnits = 0
  /** The line still arriving is a comment or an unknown field: its bytes are dropped as they come. */
  #discarding = false
  /** Whether the parser got anything since `reset()` (a leading BOM is still to come if not). */
  #started = false
  #overflowed = false
  /** The lines the parser keeps (§ 9.2.6), by their start: comments too when they are reported. */
  readonly #keptLines: readonly string[]

  constructor(handlers: EventStreamHandlers, maxEventSize: number) {
    this.#maxEventSize = maxEventSize
    this.#keptLines = handlers.onComment ? [...KEPT_FIELDS, ':'] : KEPT_FIELDS
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
      // Only when wanted: without it the parser skips comment lines without slicing them.
      onComment:
        handlers.onComment &&
        ((text) => {
          if (!this.#overflowed) handlers.onComment!(text)
        }),
      // The parser bounds the data of the event being built; `#hold` bounds the line still arriving.
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
    this.#pending = EMPTY
    this.#clearPending()
    this.#started = false
    this.#overflowed = false
  }

  /**
   * Interprets the next bytes. Returns false when an event or line grew past the size bound: the
   * stream must then be abandoned.
   */
  feed(bytes: Uint8Array): boolean {
    const last = lastLineEnd(bytes)
    let start = 0
    if (last >= 0 && this.#pendingLength > 0) {
      // The line still arriving ends at this chunk's first line end: it is parsed on its own, so
      // that only its bytes are copied, not the chunk's.
      start = firstLineEnd(bytes) + 1
      // A discarded line is only the placeholder that stands for it, and gets just its line end.
      this.#append(bytes.subarray(this.#discarding ? start - 1 : 0, start))
      this.#parse(this.#pending.subarray(0, this.#pendingLength))
      this.#clearPending()
    }
    if (start <= last) this.#parse(bytes.subarray(start, last + 1))
    this.#hold(bytes.subarray(last + 1))
    return !this.#overflowed
  }

  /** Decodes and parses complete lines. */
  #parse(piece: Uint8Array): void {
    if (this.#overflowed) return
    let text: string
    if (this.#ascii) text = ONE_SHOT.decode(piece)
    else text = STREAMING.decode(piece, STREAM)
    this.#ascii = text.length === piece.length
    this.#started = true
    this.#parser.feed(text)
  }

  /**
   * Keeps the start of a line that has not ended yet. `maxEventSize` bounds it: past that many
   * UTF-16 code units a line that can be a field the parser keeps (§ 9.2.6: `data`, `event`, `id`,
   * `retry`), or a comment that `onComment` is to get, overflows; any other line (an unknown field,
   * a comment nobody asked for) is dropped as it arrives, since "the field is ignored" anyway. Code units are counted from the bytes (one per UTF-8
   * sequence, two for a four-byte one), and only once the bytes alone pass the bound; over three
   * bytes per unit (invalid UTF-8) also overflows, so memory stays bounded whatever the bytes.
   */
  #hold(tail: Uint8Array): void {
    if (this.#overflowed || this.#discarding || tail.length === 0) return
    this.#append(tail)
    const max = this.#maxEventSize
    if (this.#pendingLength <= max || (this.#countUnits() <= max && this.#pendingLength <= 3 * max)) return
    // The line's first bytes as Latin-1, without the BOM that the parser strips at a stream's start.
    let head = String.fromCharCode(...this.#pending.subarray(0, 9))
    if (!this.#started && head.startsWith(BOM_BYTES)) head = head.slice(3)
    this.#clearPending()
    if (this.#keptLines.some((field) => field.startsWith(head.slice(0, field.length)))) {
      this.#overflowed = true
    } else {
      this.#discarding = true
      this.#append(IGNORED_LINE)
    }
  }

  /** Counts the code units of the pending bytes not counted yet. */
  #countUnits(): number {
    const bytes = this.#pending
    for (let i = this.#countedBytes; i < this.#pendingLength; i++) {
      const byte = bytes[i]
      // A continuation byte (10xxxxxx) adds nothing; a four-byte sequence is a surrogate pair.
      if ((byte & 0xc0) !== 0x80) this.#pendingUnits += byte >= 0xf0 ? 2 : 1
    }
    this.#countedBytes = this.#pendingLength
    return this.#pendingUnits
  }

  /** Appends to the pending bytes, doubling the buffer when it is full. */
  #append(bytes: Uint8Array): void {
    const length = this.#pendingLength + bytes.length
    if (length > this.#pending.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.#pending.length, 256))
      grown.set(this.#pending.subarray(0, this.#pendingLength))
      this.#pending = grown
    }
    this.#pending.set(bytes, this.#pendingLength)
    this.#pendingLength = length
  }

  #clearPending(): void {
    // A buffer that a long line made large is let go rather than kept for the source's life.
    if (this.#pending.length > MAX_KEPT_BUFFER) this.#pending = EMPTY
    this.#pendingLength = this.#countedBytes = this.#pendingUnits = 0
    this.#discarding = false
  }
}

// § 9.2.5: "Streams must be decoded using the UTF-8 decode algorithm". `ignoreBOM` keeps a BOM
// in the text so that the parser strips exactly one ("One leading U+FEFF BYTE ORDER MARK character
// must be ignored if any are present"); a second one belongs to the first line.
// Two decoders, for speed in Node: its one-shot decoding is several times faster for ASCII, its
// streaming decoding (which a decoder, once used so, keeps for good) faster for other text. A piece
// never ends inside a character, so both are exact and hold nothing between calls: every source
// shares them.
const ONE_SHOT = /* @__PURE__ */ new TextDecoder('utf-8', { ignoreBOM: true })
const STREAMING = /* @__PURE__ */ new TextDecoder('utf-8', { ignoreBOM: true })
const STREAM: TextDecodeOptions = { stream: true }
const EMPTY = new Uint8Array(0)
/** What a dropped line becomes: a field without a name the spec knows (§ 9.2.6: "the field is ignored"). */
const IGNORED_LINE = new Uint8Array([0x78])
const MAX_KEPT_BUFFER = 1 << 20
/** The fields the parser keeps a line of (§ 9.2.6), with the colon that ends their name. */
const KEPT_FIELDS = ['data:', 'event:', 'id:', 'retry:']
/** The UTF-8 BOM's bytes, as Latin-1. */
const BOM_BYTES = '\xEF\xBB\xBF'

/**
 * Node's (and Bun's) Buffer searches natively (memchr), many times faster than V8's Uint8Array
 * methods, and works on any Uint8Array; runtimes without it (Deno) get the standard methods. The
 * browser builds use event-stream.browser.ts instead.
 */
const Bytes: { prototype: Uint8Array } = (globalThis as { Buffer?: typeof Bytes }).Buffer || Uint8Array
const { indexOf, lastIndexOf } = Bytes.prototype

/** The index of the last CR or LF in `bytes`, or -1. */
function lastLineEnd(bytes: Uint8Array): number {
  const lf = lastIndexOf.call(bytes, LF)
  // A CR can only be later than the last LF in the bytes after it.
  const cr = lastIndexOf.call(bytes.subarray(lf + 1), CR)
  return cr < 0 ? lf : lf + 1 + cr
}

/** The index of the first CR or LF in `bytes`, which has one. */
function firstLineEnd(bytes: Uint8Array): number {
  const lf = indexOf.call(bytes, LF)
  const cr = indexOf.call(lf < 0 ? bytes : bytes.subarray(0, lf), CR)
  return cr < 0 ? lf : cr
}
