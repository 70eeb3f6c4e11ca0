/**
 * Errors for bad input to the constructor and to `exponentialBackoff`: each message names the API
 * and the option, says what was expected and shows what was given.
 */

/** Throws ``<api>: `<name>` must be <expected>, got <value>`` as a TypeError, or as `Kind`. */
export function invalid(name: string, expected: string, value: unknown, Kind: ErrorConstructor = TypeError, api = 'EventSource'): never {
  throw new Kind(`${api}: \`${name}\` must be ${expected}, got ${show(value)}`)
}

/** A value for an error message; never throws, whatever the value (a null-prototype object, …). */
export function show(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/**
 * An optional finite number in [min, max]: a TypeError for another type, a RangeError out of
 * range (NaN and ±Infinity included).
 */
export function checkNumber(name: string, value: unknown, min: number, max = Number.MAX_VALUE, api?: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number') invalid(name, 'a number', value, TypeError, api)
  if (!(value >= min && value <= max)) {
    invalid(name, max < Number.MAX_VALUE ? `from ${min} to ${max}` : `a finite number >= ${min}`, value, RangeError, api)
  }
  return value
}

/** An optional boolean. */
export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') invalid(name, 'a boolean', value)
  return value
}

/** An optional function. */
export function checkFunction<T>(name: string, value: T | undefined, api?: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(name, 'a function', value, TypeError, api)
  return value
}
