import { BROWSER_SCRIPT } from './platform'

/** The shape of a WHATWG ReadableStream of bytes, as platform fetch gives. */
interface WebByteStream {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>
    cancel(reason?: unknown): Promise<void>
  }
}

/** The shape of a Node.js Readable, as node-fetch (cross-fetch in Node) gives. */
interface NodeByteStream extends AsyncIterable<Uint8Array> {
  destroy?(error?: Error): void
}

/**
 * Called for every chunk of the body; returns false to stop reading (the body is then cancelled),
 * true to read on, or a promise of either to read on only once it settles (backpressure).
 */
export type ChunkHandler = (chunk: Uint8Array) => boolean | Promise<boolean>

/**
 * Reads a response body, whichever kind it is, to its end or until `onChunk` returns false.
 * Resolves when the body ended or reading stopped; rejects when the body errors (a dropped
 * connection, an aborted request).
 */
export function readBody(body: unknown, onChunk: ChunkHandler): Promise<void> {
  // Not an async function: the reading loop's own promise is handed back as it is, rather than
  // wrapped in one more promise that every idle connection would keep until its stream ends.
  if (body === null || body === undefined) return Promise.resolve()
  if (typeof (body as WebByteStream).getReader === 'function') {
    return readWebStream(body as WebByteStream, onChunk)
  }
  if (!BROWSER_SCRIPT && typeof (body as NodeByteStream)[Symbol.asyncIterator] === 'function') {
    return readNodeStream(body as NodeByteStream, onChunk)
  }
  return Promise.reject(new TypeError('EventSource: cannot read the response body'))
}

async function readWebStream(body: WebByteStream, onChunk: ChunkHandler): Promise<void> {
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    if (value === undefined) continue
    let readOn = onChunk(value)
    // Awaited only when the handler asked to wait: no extra tick per chunk otherwise.
    if (typeof readOn !== 'boolean') readOn = await readOn
    if (!readOn) {
      // Give the socket back: a body we stop reading must not keep the connection busy.
      reader.cancel().catch(ignore)
      return
    }
  }
}

async function readNodeStream(body: NodeByteStream, onChunk: ChunkHandler): Promise<void> {
  // Leaving a for-await loop early destroys the stream, which releases the socket.
  for await (const chunk of body) {
    let readOn = onChunk(chunk)
    if (typeof readOn !== 'boolean') readOn = await readOn
    if (!readOn) return
  }
}

/** Cancels a body that will not be read (failure statuses, wrong content type). */
export function discardBody(body: unknown): void {
  if (body === null || body === undefined) return
  if (typeof (body as { cancel?: unknown }).cancel === 'function') {
    ;(body as { cancel(): Promise<void> }).cancel().catch(ignore)
  } else if (!BROWSER_SCRIPT && typeof (body as NodeByteStream).destroy === 'function') {
    ;(body as NodeByteStream).destroy!()
  }
}

function ignore(): void {}
