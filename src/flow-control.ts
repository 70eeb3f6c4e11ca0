/**
 * Extension: backpressure. Consumers that fall behind (async iterators whose queue is full) hold
 * the flow; while any holds it, the connection reads no more of the response body, so the
 * transport's flow control (TCP windows) holds the server back.
 */
export class FlowControl {
  #holds = 0
  #resume: (() => void) | undefined
  #resumed: Promise<void> | undefined

  /** Whether some consumer holds the flow. */
  get paused(): boolean {
    return this.#holds > 0
  }

  /** A consumer cannot take more for now. */
  hold(): void {
    this.#holds++
  }

  /** A consumer that held the flow can take more again. */
  release(): void {
    if (this.#holds > 0 && --this.#holds === 0) {
      this.#resume?.()
      this.#resume = this.#resumed = undefined
    }
  }

  /** Resolves once no consumer holds the flow; undefined when none does now (reading goes on at once). */
  whenFlowing(): Promise<void> | undefined {
    if (this.#holds === 0) return undefined
    this.#resumed ??= new Promise((resolve) => {
      this.#resume = resolve
    })
    return this.#resumed
  }
}
