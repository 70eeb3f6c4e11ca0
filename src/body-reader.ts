import { BROWSER_SCRIPT } from './platform'

/** The shape of a WHATWG ReadableStream of bytes, as platform fetch gives. */
interface WebByteStream {
  getReader(): BodyReader
}

/** The shape of a Node.js Readable, as node-fetch (cross-fetch in Node) gives. */
interface NodeByteStream extends AsyncIterable<Uint8Array> {
  destroy?(error?: Error): void
}

/**
 * Reads a response body chunk by chunk, whichever kind it is: a web stream's own reader, or a
 * Node stream's async iterator in the same shape.
 */
export interface BodyReader {
  /** The next chunk, or `done` once the body ended; rejects when the body errors. */
  read(): Promise<{ done?: boolean; value?: Uint8Array }>
  /** Stops reading and gives the connection up. */
  cancel(): Promise<unknown>
}

/**
 * Opens a response body for reading; undefined for a response without one.
 * @throws TypeError when the body is neither a web stream nor a Node stream.
 */
export function openBody(body: unknown): BodyReader | undefined {
  if (body === null || body === undefined) return undefined
  if (typeof (body as WebByteStream).getReader === 'function') return (body as WebByteStream).getReader()
  if (!BROWSER_SCRIPT && typeof (body as NodeByteStream)[Symbol.asyncIterator] === 'function') {
    const chunks = (body as NodeByteStream)[Symbol.asyncIterator]()
    // Ending the iteration early destroys the stream, which releases the socket.
    return { read: () => chunks.next(), cancel: async () => chunks.return?.() }
  }
  throw new TypeError('EventSource: cannot read the response body')
}

/** Cancels a body: its reader's when it is being read, else the body itself (failure statuses, wrong content type). */
export function discardBody(body: unknown, reader: BodyReader | undefined): void {
  if (reader) reader.cancel().catch(ignore)
  else if (typeof (body as { cancel?: unknown } | null)?.cancel === 'function') {
    ;(body as { cancel(): Promise<void> }).cancel().catch(ignore)
  } else if (!BROWSER_SCRIPT && typeof (body as NodeByteStream | null)?.destroy === 'function') {
    ;(body as NodeByteStream).destroy!()
  }
}

function ignore(): void {}
