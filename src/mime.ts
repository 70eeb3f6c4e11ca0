const EVENT_STREAM = 'text/event-stream'

/** HTTP whitespace: tab, LF, CR, space (Fetch § HTTP whitespace). */
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g

/** A MIME type's essence: `type/subtype`, both HTTP tokens. */
const ESSENCE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Whether a `Content-Type` header value's MIME type is `text/event-stream`, parameters
 * (`;charset=utf-8`) allowed. Follows Fetch's "extract a MIME type" in the part that decides the
 * essence: of comma-separated values, the last one that parses wins; case is ignored.
 */
export function isEventStreamContentType(headerValue: string | null): boolean {
  if (headerValue === null) return false
  // What nearly every server sends, decided without parsing.
  if (headerValue === EVENT_STREAM) return true
  let essence: string | undefined
  for (const value of headerValue.split(',')) {
    const candidate = value.split(';', 1)[0].replace(HTTP_WHITESPACE, '').toLowerCase()
    if (ESSENCE.test(candidate) && candidate !== '*/*') essence = candidate
  }
  return essence === EVENT_STREAM
}
