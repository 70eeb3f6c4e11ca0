// The one checksum every implementation computes over the `data` strings it receives, and the
// server computes over the strings it sent. It must stay cheap (it runs inside every client's
// listener and is timed with it), so it mixes each string's length with five sampled UTF-16 code
// units (first, ¼, ½, ¾, last) instead of hashing every character. Any lost, merged or split
// event, any wrong line join and any broken multi-byte character changes a length or a sample.

/** Mixes one data string into a running 32-bit hash and returns the new hash. */
export function mix(h, s) {
  const L = s.length
  h = (Math.imul(h, 31) + L) | 0
  if (L > 0) {
    h = (Math.imul(h, 31) + s.charCodeAt(0)) | 0
    h = (Math.imul(h, 31) + s.charCodeAt(L >> 2)) | 0
    h = (Math.imul(h, 31) + s.charCodeAt(L >> 1)) | 0
    h = (Math.imul(h, 31) + s.charCodeAt(L - 1 - (L >> 2))) | 0
    h = (Math.imul(h, 31) + s.charCodeAt(L - 1)) | 0
  }
  return h
}
