import { EventSource } from './event-source'

/**
 * Defines `globalThis.EventSource` as ours when the runtime has none; a native one stays.
 * @returns whether ours was installed.
 */
export function installGlobal(): boolean {
  const scope = globalThis as { EventSource?: unknown }
  if (typeof scope.EventSource === 'function') return false
  Object.defineProperty(globalThis, 'EventSource', {
    value: EventSource,
    writable: true,
    configurable: true,
    enumerable: false,
  })
  return true
}
