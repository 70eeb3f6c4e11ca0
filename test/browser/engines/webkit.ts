/**
 * WebKit as a test engine: Debian's WebKitGTK MiniBrowser (package `webkit2gtk-driver`), driven by
 * its `WebKitWebDriver` over plain W3C WebDriver (a small JSON protocol over HTTP, spoken here with
 * `fetch`). MiniBrowser has no headless mode, so it runs on a virtual display (./xvfb.ts).
 *
 * Without a display WebKitWebDriver accepts `POST /session` and never answers it, hence the
 * session's own timeout. WebDriver has no command that takes a page offline, so this page has no
 * `setOffline` (the networkAware suite plays the change in the page instead).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { evaluationResult, evaluationScript, requireExecutable, withTimeout, type RunningEngine } from './engine'
import { startXvfb } from './xvfb'

/** Where Debian's packages put MiniBrowser (it is not on PATH). */
const MINIBROWSER_PATHS = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkitgtk-6.0/MiniBrowser',
]

const SESSION_TIMEOUT_MS = 30000
const SCRIPT_TIMEOUT_MS = 60000

/** A free TCP port on the loopback interface, for WebKitWebDriver (it takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** One WebDriver command; resolves with the answer's `value`, throws the driver's error. */
async function command(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = SCRIPT_TIMEOUT_MS + 5000,
): Promise<unknown> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const answer = (await response.json()) as { value: { error?: string; message?: string } | null }
  if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${answer.value?.error}: ${answer.value?.message}`)
  return answer.value
}

export async function launch(): Promise<RunningEngine> {
  const driverPath = requireExecutable('WebKitWebDriver (Debian package webkit2gtk-driver)', 'WebKitWebDriver')
  const miniBrowser = MINIBROWSER_PATHS.find((candidate) => existsSync(candidate))
  if (!miniBrowser)
    throw new Error(`MiniBrowser not found in ${MINIBROWSER_PATHS.join(', ')}: install the Debian package webkit2gtk-driver`)

  const display = await startXvfb()
  const port = await freePort()
  // Its own process group, so that closing ends the driver, MiniBrowser and WebKit's helper
  // processes together even if the session cannot be deleted.
  const driver = spawn(driverPath, [`--port=${port}`], {
    env: { ...process.env, DISPLAY: display.display, NO_AT_BRIDGE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000))
  driver.stdout!.on('data', keep)
  driver.stderr!.on('data', keep)
  const driverExited = new Promise<void>((resolve) => driver.once('exit', () => resolve()))
  const base = `http://127.0.0.1:${port}`
  let sessionId: string | undefined

  const close = async () => {
    if (sessionId) await command(base, 'DELETE', `/session/${sessionId}`, undefined, 10000).catch(() => undefined)
    if (driver.exitCode === null && driver.signalCode === null) {
      try {
        process.kill(-driver.pid!, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    await driverExited
    await display.close()
  }

  try {
    await withTimeout(
      (async () => {
        for (;;) {
          if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}: ${output}`)
          try {
            await command(base, 'GET', '/status', undefined, 1000)
            return
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }
      })(),
      20000,
      'starting WebKitWebDriver',
    )
    const session = (await command(
      base,
      'POST',
      '/session',
      {
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation'] },
          },
        },
      },
      SESSION_TIMEOUT_MS,
    ).catch((error: Error) => {
      throw new Error(`creating a MiniBrowser session: ${error.message}\n${output}`)
    })) as { sessionId: string; capabilities?: { browserVersion?: string } }
    sessionId = String(session.sessionId)
    const sessionPath = `/session/${sessionId}`
    await command(base, 'POST', `${sessionPath}/timeouts`, { script: SCRIPT_TIMEOUT_MS, pageLoad: 30000 })
    return {
      name: 'webkit',
      version: `WebKitGTK ${session.capabilities?.browserVersion ?? 'unknown'} (MiniBrowser)`,
      page: {
        goto: async (url) => void (await command(base, 'POST', `${sessionPath}/url`, { url })),
        evaluate: async (expression) => {
          const script = `var done = arguments[arguments.length - 1]; ${evaluationScript(expression)}.then(done)`
          return evaluationResult(await command(base, 'POST', `${sessionPath}/execute/async`, { script, args: [] }), expression)
        },
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
