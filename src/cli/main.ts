/**
 * `isomorphic-eventsource <url>`: the package's command line (the `bin` entry, built to
 * dist/cli.mjs). It reads the command line and the request body, runs the tail, and exits with
 * its status: 0 ended as asked, 1 failed for good, 2 usage error, 130 interrupted.
 */
import { readFileSync } from 'node:fs'
import { PROGRAM, USAGE, UsageError, parseCommandLine } from './args'
import { readBody } from './body'
import { notice, painter, shouldColor } from './output'
import { startTail, type Tail } from './tail'

/** The conventional status after SIGINT: 128 + the signal's number (2). */
const INTERRUPTED = 130
const USAGE_ERROR = 2

let tail: Tail | undefined
let exiting = false

/**
 * Ends the process once what was written has reached standard output and error (writes to pipes
 * are asynchronous on some platforms); the source is closed first.
 */
function exit(status: number): void {
  if (exiting) return
  exiting = true
  tail?.stop(status)
  process.exitCode = status
  Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(
    () => process.exit(status),
    () => process.exit(status),
  )
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve()
  return new Promise((resolve) => {
    stream.once('drain', resolve)
    stream.once('close', resolve)
  })
}

function version(): string {
  // This file is dist/cli.mjs; the package's package.json is one folder up.
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv)
  if (command.action === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command.action === 'version') {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  const { options } = command
  const paintErr = painter(shouldColor(process.stderr, process.env, options.noColor))
  // Say so, or a terminal waiting for the body would look like a stream that sends nothing.
  if (options.data === '@-') process.stderr.write(notice('reading the request body from standard input', 'dim', paintErr))
  const body = await readBody(options.data, process.stdin)
  if (exiting) return INTERRUPTED
  tail = startTail(options, body, {
    // A full pipe holds the loop, and so the stream, until the reader catches up.
    out: (text) => (process.stdout.write(text) ? undefined : flushed(process.stdout)),
    err: (text) => void process.stderr.write(text),
    paintOut: painter(shouldColor(process.stdout, process.env, options.noColor)),
    paintErr,
  })
  return tail.exitStatus
}

// Ctrl-C: close the source, then exit 130 (also while the body is still being read).
process.once('SIGINT', () => exit(INTERRUPTED))
// The reader went away (`… | head -n 3`): there is no one left to print for.
process.stdout.on('error', () => exit(0))

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${PROGRAM}: ${error.message}\n\n${USAGE}`)
    exit(USAGE_ERROR)
  } else {
    process.stderr.write(`${PROGRAM}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    exit(1)
  }
})
