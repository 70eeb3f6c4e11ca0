import { MAX_TIMER_DELAY_MS } from './defaults'
import { BROWSER_SCRIPT } from './platform'

/**
 * A delay `setTimeout` accepts: a delay over 2^31−1 ms would fire at once, so a huge `retry:`
 * from the server would turn into a reconnection storm.
 */
export function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0
  return Math.min(ms, MAX_TIMER_DELAY_MS)
}

/**
 * In Node, lets the process exit while only this timer is pending (used for the read timeout,
 * whose connection's socket keeps the process alive as long as it matters).
 */
export function unrefTimer<T>(timer: T): T {
  if (!BROWSER_SCRIPT) (timer as { unref?: () => void }).unref?.()
  return timer
}
