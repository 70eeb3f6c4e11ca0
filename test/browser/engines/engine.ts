/**
 * What a test needs from a browser engine, whatever drives it: launch it, hold one page, load a URL
 * in it, evaluate a script expression there, close everything. The three engines the project
 * tests (Chromium, Firefox, WebKit) each implement it in their own file; suites written against it
 * (test/browser/suites/) run unchanged in all three.
 */
import { accessSync, constants } from 'node:fs'
import path from 'node:path'

export type EngineName = 'chromium' | 'firefox' | 'webkit'

/** The one page an engine's tests share. */
export interface EnginePage {
  /** Loads `url` and resolves once its load event fired. */
  goto(url: string): Promise<void>
  /**
   * Evaluates a script expression in the page's global scope; if it yields a promise, waits for
   * it. Resolves with a copy of the value made by a JSON round trip that keeps `undefined` (as a
   * property value, an array element or the value itself), the same in every engine; a rejection
   * or exception in the page rejects with its message and stack.
   */
  evaluate(expression: string): Promise<unknown>
  /**
   * Takes the page's network down (`true`) or brings it back (`false`) for real, as the browser
   * does when the machine goes offline: requests fail, `navigator.onLine` is false, `offline` and
   * `online` fire. Absent where the driver cannot (WebKit over WebDriver).
   */
  setOffline?(offline: boolean): Promise<void>
}

/** A running browser. */
export interface RunningEngine {
  name: EngineName
  /** The browser's own version string, e.g. `Chromium 156.0.8078.114`, `Firefox 153.8.0esr`. */
  version: string
  page: EnginePage
  /** Closes the browser and whatever was started for it (display server, driver, profile). */
  close(): Promise<void>
}

/** How `undefined` travels in the JSON of an evaluation (JSON has no `undefined`). */
const UNDEFINED = '\u0000undefined\u0000'

/**
 * The script that `evaluate` runs: the expression's value, or its error, as JSON text. Evaluated
 * with an indirect `eval` so it sees the page's globals and nothing of the wrapper.
 */
export function evaluationScript(expression: string): string {
  return `Promise.resolve().then(function () { return (0, eval)(${JSON.stringify(expression)}) }).then(
    function (value) {
      return JSON.stringify({ value: value }, function (key, v) { return v === undefined ? ${JSON.stringify(UNDEFINED)} : v })
    },
    function (error) { return JSON.stringify({ error: String(error && error.stack ? error + '\\n' + error.stack : error) }) })`
}

/** Turns what `evaluationScript` produced back into a value, or throws the page's error. */
export function evaluationResult(json: unknown, expression: string): unknown {
  if (typeof json !== 'string') throw new Error(`evaluating ${expression.slice(0, 200)}: the page answered ${String(json)}`)
  const parsed = JSON.parse(json) as { value?: unknown; error?: string }
  if (parsed.error !== undefined) throw new Error(`in the page: ${parsed.error}\nwhile evaluating: ${expression.slice(0, 500)}`)
  return restoreUndefined(parsed.value)
}

/** Puts `undefined` back where the page had it (keeping the property, as the page had it). */
function restoreUndefined(value: unknown): unknown {
  if (value === UNDEFINED) return undefined
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) record[key] = restoreUndefined(record[key])
  }
  return value
}

/** The first of `names` that is an executable file on PATH or an absolute path, or undefined. */
export function findExecutable(...names: string[]): string | undefined {
  for (const name of names) {
    const candidates = path.isAbsolute(name)
      ? [name]
      : (process.env.PATH ?? '')
          .split(path.delimiter)
          .filter(Boolean)
          .map((dir) => path.join(dir, name))
    for (const candidate of candidates) {
      try {
        accessSync(candidate, constants.X_OK)
        return candidate
      } catch {
        // not here
      }
    }
  }
  return undefined
}

/** Like findExecutable, but throws a message that says how to get the engine installed. */
export function requireExecutable(what: string, ...names: string[]): string {
  const found = findExecutable(...names)
  if (found) return found
  throw new Error(
    `${what} not found (looked for ${names.join(', ')}): run \`node scripts/ensure-browsers.mjs\` (npm test does) to install the Debian packages`,
  )
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
