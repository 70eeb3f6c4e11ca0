/**
 * Leader election among the sources that share a connection, with Web Locks: every source asks
 * for the same exclusive lock; the one holding it leads (holds the real connection), the others
 * wait in the lock's queue. The browser releases a lock when its holder lets go or when the page
 * or worker holding it goes away, and grants it to the next request in the queue: that is the
 * takeover.
 */

/** A request for leadership: queued, then held, until released. */
export interface Leadership {
  /** Withdraws a queued request, or lets go of the lock when held. Safe to call more than once. */
  release(): void
}

/** The Web Locks API, where this runtime has it together with BroadcastChannel; else undefined. */
export function sharingLocks(): LockManager | undefined {
  const scope = globalThis as { navigator?: { locks?: LockManager }; BroadcastChannel?: unknown }
  const locks = scope.navigator?.locks
  return typeof locks?.request === 'function' && typeof scope.BroadcastChannel === 'function' ? locks : undefined
}

/**
 * Asks for the exclusive lock `name`; calls `lead` once it is granted, and holds it until
 * `release()`. Nothing is held or queued after `release()`.
 */
export function requestLeadership(locks: LockManager, name: string, lead: () => void): Leadership {
  const withdraw = new AbortController()
  let released = false
  let letGo: (() => void) | undefined

  const onGranted = (): Promise<void> | undefined => {
    // A grant can race with release(): then give the lock back at once.
    if (released) return undefined
    lead()
    // `lead` may have released already (a source closed by its first handler).
    if (released) return undefined
    // The lock is held for as long as this promise is pending.
    return new Promise<void>((resolve) => {
      letGo = resolve
    })
  }

  locks.request(name, { mode: 'exclusive', signal: withdraw.signal }, onGranted).catch(() => {
    // An AbortError: the request was withdrawn while queued. Nothing else can reject it.
  })

  return {
    release() {
      if (released) return
      released = true
      withdraw.abort()
      letGo?.()
    },
  }
}
