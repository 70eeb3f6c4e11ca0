/** The parts of a browser's or worker's global scope that say whether the network is there. */
interface NetworkScope {
  navigator: { onLine: boolean }
  addEventListener(type: 'online', listener: () => void): void
  removeEventListener(type: 'online', listener: () => void): void
  document?: {
    visibilityState?: string
    addEventListener(type: 'visibilitychange', listener: () => void): void
    removeEventListener(type: 'visibilitychange', listener: () => void): void
  }
}

/**
 * The global scope when it can tell whether the network is up (a window or a worker: `navigator.
 * onLine` and `online` events); undefined elsewhere (Node, Deno, Bun), where a wait is a timer only.
 */
function networkScope(): NetworkScope | undefined {
  const scope = globalThis as Partial<NetworkScope>
  return typeof scope.navigator?.onLine === 'boolean' && typeof scope.addEventListener === 'function' ? (scope as NetworkScope) : undefined
}

/**
 * The wait before a reconnection (HTML § 9.2.3 "reestablish the connection", steps 3–4: "Wait a
 * delay equal to the reconnection time of the event source. Optionally, wait some more. In
 * particular, if the previous attempt failed, then user agents might introduce an exponential
 * backoff delay … or wait until the operating system reports that the network is back.").
 *
 * Extension (`networkAware`), in browsers and workers: while `navigator.onLine` is false, a wait
 * that is over starts no attempt — one that cannot succeed would only grow the backoff — and waits
 * for `online`; `online`, or a hidden page becoming visible (hidden pages' timers are throttled,
 * stretching a wait to minutes), ends a backoff wait early. Never sooner than the reconnection time
 * after the failure: the server's `retry:` asks to stay away that long. The listeners are on the
 * global scope only while a wait is under way.
 */
export class ReconnectWait {
  readonly #onDue: () => void
  readonly #scope: NetworkScope | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  /** When the wait may end at the earliest (ms since the epoch). */
  #earliest = 0
  #watching = false

  /** @param onDue - called when the wait is over. */
  constructor(onDue: () => void, networkAware: boolean) {
    this.#onDue = onDue
    this.#scope = networkAware ? networkScope() : undefined
  }

  /** Starts waiting `delay` ms (at least `reconnectionTime`), replacing any wait under way. */
  start(delay: number, reconnectionTime: number): void {
    this.cancel()
    this.#earliest = Date.now() + reconnectionTime
    this.#arm(delay)
    this.#watch(true)
  }

  /** Ends the wait without calling back; nothing of it stays behind. */
  cancel(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#watch(false)
  }

  #arm(delay: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(this.#wake, delay)
  }

  /**
   * The timer fired, the network is back, or the page became visible: reconnect now, or once the
   * reconnection time is over. Offline, the wait goes on until `online`.
   */
  readonly #wake = (): void => {
    if (this.#offline()) return
    const left = this.#earliest - Date.now()
    if (left > 0) this.#arm(left)
    else this.#end()
  }

  readonly #onVisibilityChange = (): void => {
    if (this.#scope?.document?.visibilityState === 'visible') this.#wake()
  }

  #offline(): boolean {
    return this.#scope?.navigator.onLine === false
  }

  #end(): void {
    this.cancel()
    this.#onDue()
  }

  /** Adds or removes the listeners on the global scope (and the document, in a page). */
  #watch(on: boolean): void {
    const scope = this.#scope
    if (!scope || this.#watching === on) return
    this.#watching = on
    // A window has a document to watch too; a worker has none.
    const method = on ? 'addEventListener' : 'removeEventListener'
    scope[method]('online', this.#wake)
    scope.document?.[method]('visibilitychange', this.#onVisibilityChange)
  }
}
