/**
 * Extension: the delay in ms that a `Retry-After` header asks for (RFC 9110 § 10.2.3): a number
 * of seconds, or an HTTP date. Returns undefined for a missing or malformed value, and 0 for a
 * date in the past.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
