// Writes a pre-built stream to a response as fast as the socket drains it: 64 KiB slices (which cut
// through lines and characters), waiting for 'drain' whenever write() returns false; stops when the
// client goes away. Shared by the Node bench's server (server.mjs) and the browser bench (browser.mjs).
const SLICE = 64 * 1024

/** Pumps `buffer` into `res`; `onDone(res)` runs once all of it was handed to the socket. */
export function pump(res, buffer, onDone = () => {}) {
  let offset = 0
  let closed = false
  res.on('close', () => {
    closed = true
  })
  const write = () => {
    while (!closed && offset < buffer.length) {
      const end = Math.min(offset + SLICE, buffer.length)
      const ok = res.write(buffer.subarray(offset, end))
      offset = end
      if (!ok) {
        res.once('drain', write)
        return
      }
    }
    if (!closed) onDone(res)
  }
  write()
}
