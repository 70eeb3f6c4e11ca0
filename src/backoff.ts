import { DEFAULT_BACKOFF_FACTOR, DEFAULT_BACKOFF_JITTER, DEFAULT_BACKOFF_MAX_MS } from './defaults'
import { checkFunction, checkNumber } from './invalid-input'
import type { BackoffStrategy } from './types'

const API = 'exponentialBackoff'

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /**
   * The longest base delay in ms (jitter comes on top of it).
   * @default 30000
   */
  max?: number
  /**
   * What the delay is multiplied by after each failed attempt.
   * @default 2
   */
  factor?: number
  /**
   * The share of the base delay that is added at random (0 for none, 1 for up to double), so that
   * many clients dropped at once do not come back at once.
   * @default 0.5
   */
  jitter?: number
  /**
   * The source of randomness in [0, 1), for tests.
   * @default Math.random
   */
  random?: () => number
}

/**
 * Extension: exponential backoff with jitter, the default strategy. The delay before attempt `n`
 * is a base of `reconnectionTime × factor^(n−1)`, capped at `max`, plus a random extra of up to
 * `jitter × base`.
 *
 * @example new EventSource(url, { backoff: exponentialBackoff({ max: 60_000, jitter: 0.2 }) })
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): BackoffStrategy {
  const { max = DEFAULT_BACKOFF_MAX_MS, factor = DEFAULT_BACKOFF_FACTOR, jitter = DEFAULT_BACKOFF_JITTER, random = Math.random } = options
  checkNumber('max', max, 0, undefined, API)
  checkNumber('factor', factor, 1, undefined, API)
  checkNumber('jitter', jitter, 0, undefined, API)
  checkFunction('random', random, API)
  return (attempt, reconnectionTime) => {
    const base = Math.min(max, reconnectionTime * factor ** Math.max(0, attempt - 1))
    return base + random() * jitter * base
  }
}

/**
 * The spec's plain behaviour: always wait the reconnection time (`retryDelay`, or the server's
 * last `retry:` value).
 */
export const constantBackoff: BackoffStrategy = (_attempt, reconnectionTime) => reconnectionTime
