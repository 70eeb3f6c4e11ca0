/** Defaults of the constructor options, one named constant each. */

/**
 * The reconnection time before the server sends `retry:`. The spec leaves it to the user agent
 * ("probably in the region of a few seconds"); Chromium and Node's own EventSource use 3 s.
 */
export const DEFAULT_RETRY_DELAY_MS = 3000

/** Extension: the longest the default exponential backoff waits between attempts. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000

/** Extension: the default backoff multiplies the delay by this after each failed attempt. */
export const DEFAULT_BACKOFF_FACTOR = 2

/** Extension: the default backoff adds a random extra of up to this share of the delay. */
export const DEFAULT_BACKOFF_JITTER = 0.5

/** Extension: a connection open this long resets the count of failed attempts. */
export const DEFAULT_RESET_AFTER_MS = 60_000

/** Extension: the most characters one event or one line may hold (16 MiB). */
export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

/** Extension: how many events an async iterator lets wait before the source stops reading. */
export const DEFAULT_HIGH_WATER_MARK = 64

/** The longest delay `setTimeout` accepts; a longer one fires at once. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647
