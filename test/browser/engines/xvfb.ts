/**
 * A virtual X display (Debian's `xvfb`) for a browser that has no headless mode (WebKitGTK's
 * MiniBrowser). `-displayfd` makes Xvfb pick a free display number and write it to a pipe, so
 * parallel runs never collide on a display.
 */
import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { requireExecutable, withTimeout } from './engine'

export interface VirtualDisplay {
  /** The value for `DISPLAY`, e.g. `:3`. */
  display: string
  close(): Promise<void>
}

export async function startXvfb(): Promise<VirtualDisplay> {
  const xvfb = spawn(
    requireExecutable('Xvfb (Debian package xvfb)', 'Xvfb'),
    ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x800x24'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  xvfb.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
  const exited = new Promise<void>((resolve) => xvfb.once('exit', () => resolve()))
  const close = async () => {
    if (xvfb.exitCode === null && xvfb.signalCode === null) xvfb.kill('SIGTERM')
    await exited
  }
  try {
    const number = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let text = ''
        ;(xvfb.stdio[3] as Readable).on('data', (chunk: Buffer) => {
          text += chunk.toString()
          if (text.includes('\n')) resolve(text.trim())
        })
        xvfb.once('exit', (code, signal) => reject(new Error(`Xvfb exited (${code ?? signal}) before it had a display: ${stderr}`)))
        xvfb.once('error', reject)
      }),
      20000,
      'starting Xvfb',
    )
    return { display: `:${number}`, close }
  } catch (error) {
    await close()
    throw error
  }
}
