/**
 * The `isomorphic-eventsource` command, run as users run it: the `bin` of the packed tarball,
 * installed in a consumer project (helpers/packed-package.ts), spawned through
 * `node_modules/.bin` against loopback servers. `npm run build` must have run first.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PACKAGE_NAME as packageName, packAndInstall, run, type PackedPackage, type Run } from './helpers/packed-package'
import { useServerPerTest } from './helpers/per-test'
import { waitFor } from './helpers/recorder'
import { perAttempt, startStream, streamAndHold, streamThenEnd } from './helpers/server'

const { server } = useServerPerTest()

let pack: PackedPackage
beforeAll(async () => {
  pack = await packAndInstall(['index.mjs', 'cli.mjs'])
}, 90000)
afterAll(() => pack?.remove())

/** The environment of every run: no colour settings inherited from the shell running the tests. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  if (!('NO_COLOR' in extra)) delete env.NO_COLOR
  delete env.FORCE_COLOR
  return env
}

/** A run of the command in progress. */
interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Settles when the process has exited; rejects, with what it printed, if it is still running after `limitMs`. */
  exit(limitMs?: number): Promise<Run>
}

const running = new Set<ChildProcess>()
afterEach(() => {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
})

/** Starts the installed command with `args`; `stdin` is written and ended, or left open with `'open'`. */
function startCli(args: string[], { stdin = '', env = {} }: { stdin?: string | 'open'; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(pack.bin(packageName), args, { cwd: pack.consumer, env: cleanEnv(env), stdio: 'pipe' })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  if (stdin !== 'open') child.stdin.end(stdin)
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child)
      resolve(signal === null ? code : null)
    }),
  )
  // Output still in the pipes arrives before 'close'.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async exit(limitMs = 10000) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`still running after ${limitMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`)),
          limitMs,
        )
      })
      try {
        const code = await Promise.race([exited, limit])
        await closed
        return { code, stdout, stderr }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/** Runs the installed command to its end. */
function runCli(args: string[], options?: { stdin?: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return startCli(args, options).exit()
}

/** Every line of `--json` output, parsed. */
function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const ANSI_ESCAPE = '\x1b['

/** An event stream with a plain, a typed and a multi-line event, held open. */
const threeKinds = streamAndHold('data: plain\n\nevent: update\nid: 7\ndata: {"n":1}\n\ndata: line one\ndata: line two\n\n')

describe('help and version', () => {
  test('`npx isomorphic-eventsource --help` works from the installed package and lists every flag and exit status', async () => {
    const result = await run('npx', ['--offline', '--no-install', packageName, '--help'], {
      cwd: pack.consumer,
      env: cleanEnv(),
      timeout: 60000,
    })
    // (npm itself may warn on standard error, e.g. about an old Node.)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: isomorphic-eventsource \[options\] <url>/)
    for (const flag of [
      '-H, --header',
      '-X, --method',
      '-d, --data',
      '--last-event-id',
      '--retry-delay',
      '--read-timeout',
      '--retry spec|always|never',
      '--once',
      '-n, --max-events',
      '--type',
      '--json',
      '--no-color',
      '-V, --version',
      '-h, --help',
    ]) {
      expect(result.stdout).toContain(flag)
    }
    expect(result.stdout).toMatch(/Exit status: 0 .*\n1 .*; 2 .*; 130 /)
  }, 60000)

  test('-h prints the same help on standard output and exits 0', async () => {
    const result = await runCli(['-h'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: isomorphic-eventsource/)
  })

  test('-V prints the installed package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(pack.installed, 'package.json'), 'utf8')) as { version: string }
    const result = await runCli(['-V'])
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` })
  })

  test('the bin is dist/cli.mjs, an executable ES module run by node through its #! line', () => {
    const manifest = JSON.parse(readFileSync(path.join(pack.installed, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(manifest.bin).toEqual({ [packageName]: './dist/cli.mjs' })
    const script = readFileSync(path.join(pack.installed, 'dist', 'cli.mjs'), 'utf8')
    expect(script.startsWith('#!/usr/bin/env node\n')).toBe(true)
  })
})

describe('the request', () => {
  test('-H headers (repeatable), -X method and a -d body reach the server, with no Content-Type the user did not set', async () => {
    server.route('/events', streamAndHold('data: ok\n\n'))
    const result = await runCli([
      '-H',
      'Authorization: Bearer token-1',
      '-H',
      'X-Trace: a',
      '-H',
      'x-trace:b',
      '-X',
      'PUT',
      '-d',
      'hello body',
      '-n',
      '1',
      server.url('/events'),
    ])
    expect(result.code).toBe(0)
    const [request] = server.requestsTo('/events')
    expect(request).toMatchObject({ method: 'PUT', body: 'hello body' })
    expect(request.headers).toMatchObject({ authorization: 'Bearer token-1', 'x-trace': 'a, b', accept: 'text/event-stream' })
    expect(request.headers['content-type']).toBeUndefined()
  })

  test('-d @file sends the file as it is, and a body without -X is a POST', async () => {
    const file = path.join(pack.work, 'request.json')
    const text = '{"prompt":"résumé ✓"}\n'
    writeFileSync(file, text)
    server.route('/events', streamAndHold('data: ok\n\n'))
    const result = await runCli(['-H', 'Content-Type: application/json', '-d', `@${file}`, '-n', '1', server.url('/events')])
    expect(result.code).toBe(0)
    const [request] = server.requestsTo('/events')
    expect(request).toMatchObject({ method: 'POST', body: text })
    expect(request.headers['content-type']).toBe('application/json')
  })

  test('-d @- reads the body from standard input before connecting, and sends it again on every reconnection', async () => {
    server.route('/events', perAttempt(streamThenEnd('retry: 10\ndata: one\n\n'), streamAndHold('data: two\n\n')))
    const body = 'from standard input ✓\nsecond line'
    const result = await runCli(['-d', '@-', '-n', '2', server.url('/events')], { stdin: body })
    expect(result.code).toBe(0)
    expect(server.requestsTo('/events').map((request) => [request.method, request.body])).toEqual([
      ['POST', body],
      ['POST', body],
    ])
  })

  test('-d @file that cannot be read is a usage error (exit 2) naming the file, and nothing is sent', async () => {
    const result = await runCli(['-d', '@/no/such/file.json', server.url('/events')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('/no/such/file.json')
    expect(server.requests).toHaveLength(0)
  })

  test('--last-event-id is sent as Last-Event-ID on the first request', async () => {
    server.route('/events', streamAndHold('data: ok\n\n'))
    const result = await runCli(['--last-event-id', '41', '-n', '1', server.url('/events')])
    expect(result.code).toBe(0)
    expect(server.requestsTo('/events')[0].headers['last-event-id']).toBe('41')
  })
})

describe('the output', () => {
  test('--json prints one object per event with type, data, id and an ISO timestamp: plain, typed and multi-line events', async () => {
    server.route('/events', threeKinds)
    const result = await runCli(['--json', '-n', '3', server.url('/events')])
    expect(result.code).toBe(0)
    const lines = jsonLines(result.stdout)
    expect(lines.map(({ type, data, id }) => ({ type, data, id }))).toEqual([
      { type: 'message', data: 'plain', id: '' },
      { type: 'update', data: '{"n":1}', id: '7' },
      { type: 'message', data: 'line one\nline two', id: '7' },
    ])
    for (const { timestamp } of lines) expect(new Date(timestamp as string).toISOString()).toBe(timestamp)
  })

  test('the readable output shows the data, labels events with a type or id, and indents the lines of multi-line data', async () => {
    server.route('/events', threeKinds)
    const result = await runCli(['-n', '3', server.url('/events')])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('plain\n[update id=7] {"n":1}\n[id=7] line one\n       line two\n')
  })

  test('connection notices go to standard error, so standard output holds only the events', async () => {
    server.route('/events', perAttempt(streamThenEnd('retry: 10\ndata: one\n\n'), streamAndHold('data: two\n\n')))
    const result = await runCli(['-n', '2', server.url('/events')])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('one\ntwo\n')
    expect(result.stderr).toContain(`* connected ${server.url('/events')}`)
    expect(result.stderr).toContain('* the server ended the stream (kind end, attempt 1)')
    expect(result.stderr).toMatch(/\* reconnecting in \d+ ms \(no Last-Event-ID\)/)
  })

  test('no colour codes on standard output or standard error when they are pipes, not terminals', async () => {
    server.route('/events', perAttempt(streamThenEnd('retry: 10\nevent: update\nid: 1\ndata: a\ndata: b\n\n'), threeKinds))
    const result = await runCli(['-n', '4', server.url('/events')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('[update id=1] a')
    expect(result.stdout).not.toContain(ANSI_ESCAPE)
    expect(result.stderr).toContain('reconnecting')
    expect(result.stderr).not.toContain(ANSI_ESCAPE)
  })

  // A pseudo-terminal from util-linux's `script` (in Debian's essential bsdutils package).
  describe('on a terminal', () => {
    async function runOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
      const quoted = [pack.bin(packageName), ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ')
      return run('script', ['-qec', quoted, '/dev/null'], { cwd: pack.consumer, env: cleanEnv(env) })
    }

    test('labels and notices are coloured', async () => {
      server.route('/events', threeKinds)
      const result = await runOnTerminal(['-n', '3', server.url('/events')])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`${ANSI_ESCAPE}36m[update id=7]`)
      expect(result.stdout).toContain(`${ANSI_ESCAPE}32m* connected`)
    })

    test('NO_COLOR turns colours off', async () => {
      server.route('/events', threeKinds)
      const result = await runOnTerminal(['-n', '3', server.url('/events')], { NO_COLOR: '1' })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('[update id=7]')
      expect(result.stdout).not.toContain(ANSI_ESCAPE)
    })

    test('--no-color turns colours off', async () => {
      server.route('/events', threeKinds)
      const result = await runOnTerminal(['--no-color', '-n', '3', server.url('/events')])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('[update id=7]')
      expect(result.stdout).not.toContain(ANSI_ESCAPE)
    })
  })

  test('--type prints only the named types (repeatable), and -n counts only what is printed', async () => {
    server.route(
      '/events',
      streamAndHold(
        'data: m\n\nevent: update\ndata: u1\n\nevent: ping\ndata: p\n\nevent: update\ndata: u2\n\nevent: other\ndata: o\n\ndata: late\n\n',
      ),
    )
    const result = await runCli(['--type', 'update', '--type', 'other', '--json', '-n', '3', server.url('/events')])
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((line) => `${line.type}:${line.data}`)).toEqual(['update:u1', 'update:u2', 'other:o'])
  })

  test('events named open or error by the server are printed as events, not taken for notices', async () => {
    server.route('/events', streamAndHold('event: open\ndata: o\n\nevent: error\ndata: e\n\n'))
    const result = await runCli(['--json', '-n', '2', server.url('/events')])
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((line) => `${line.type}:${line.data}`)).toEqual(['open:o', 'error:e'])
    expect(result.stderr).toBe(`* connected ${server.url('/events')}\n`)
  })

  test('stops quietly, with status 0, when the reader of standard output goes away (`| head`)', async () => {
    server.route('/events', async (_req, res) => {
      startStream(res)
      for (let n = 0; n < 2000 && !res.destroyed; n++) {
        res.write(`data: ${n}\n\n`)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })
    const cli = startCli([server.url('/events')])
    await waitFor(() => cli.stdout().includes('\n'), { message: 'a first event' })
    cli.child.stdout?.destroy()
    const result = await cli.exit()
    expect(result.code).toBe(0)
    expect(result.stderr).not.toMatch(/Error|EPIPE/)
  })
})

describe('ending and exit status', () => {
  test('-n N exits 0 after N events, even when more arrived in the same chunk', async () => {
    server.route('/events', streamAndHold('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n'))
    const result = await runCli(['-n', '2', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: '1\n2\n' })
  })

  test('a cut mid-stream resumes with Last-Event-ID: no event lost, none repeated', async () => {
    const event = (n: number) => `id: ${n}\ndata: event ${n}\n\n`
    server.route(
      '/events',
      perAttempt(
        (_req, res) => {
          // Three whole events and half of the fourth, then the connection breaks.
          startStream(res).write(`retry: 10\n\n${event(1)}${event(2)}${event(3)}id: 4\ndata: event`)
          setTimeout(() => res.destroy(), 30)
        },
        (req, res) => {
          const from = Number(req.headers['last-event-id'] ?? 0)
          let body = ''
          for (let n = from + 1; n <= 6; n++) body += event(n)
          startStream(res).write(body)
        },
      ),
    )
    const result = await runCli(['--json', '-n', '6', server.url('/events')])
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((line) => [line.id, line.data])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [String(n), `event ${n}`]))
    expect(server.requestsTo('/events')[1].headers['last-event-id']).toBe('3')
    expect(result.stderr).toMatch(/\* error: network error.*\(kind network, attempt 1\)/)
    expect(result.stderr).toMatch(/\* reconnecting in \d+ ms \(Last-Event-ID: 3\)/)
  })

  test('the reconnection notice names the Last-Event-ID of the last event received, also one --type did not print', async () => {
    server.route(
      '/events',
      perAttempt(
        streamThenEnd('retry: 10\nevent: update\nid: 1\ndata: u\n\nid: 2\ndata: skipped\n\n'),
        streamAndHold('event: update\nid: 3\ndata: v\n\n'),
      ),
    )
    const result = await runCli(['--type', 'update', '-n', '2', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: '[update id=1] u\n[update id=3] v\n' })
    expect(result.stderr).toMatch(/\* reconnecting in \d+ ms \(Last-Event-ID: 2\)/)
    expect(server.requestsTo('/events')[1].headers['last-event-id']).toBe('2')
  })

  test('--once exits 0 when the server ends the stream, without reconnecting', async () => {
    server.route('/events', streamThenEnd('retry: 10\ndata: a\n\ndata: b\n\n'))
    const result = await runCli(['--once', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: 'a\nb\n' })
    expect(server.requestsTo('/events')).toHaveLength(1)
  })

  test('without --once, the end of the stream is followed by a reconnection', async () => {
    server.route('/events', streamThenEnd('retry: 10\ndata: a\n\n'))
    const result = await runCli(['-n', '3', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: 'a\na\na\n' })
    expect(server.requestsTo('/events')).toHaveLength(3)
  })

  test('--once with --retry always still reconnects after a failure other than the end of the stream', async () => {
    server.route(
      '/events',
      perAttempt((_req, res) => void res.writeHead(503).end(), streamThenEnd('data: a\n\n')),
    )
    const result = await runCli(['--once', '--retry', 'always', '--retry-delay', '10', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: 'a\n' })
    expect(server.requestsTo('/events')).toHaveLength(2)
  })

  test('HTTP 401 exits 1 with the status on standard error, without reconnecting', async () => {
    server.route('/events', (_req, res) => void res.writeHead(401, { 'content-type': 'text/plain' }).end('who are you?'))
    const result = await runCli([server.url('/events')])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('* error: HTTP 401 Unauthorized (kind http, status 401, attempt 1)')
    expect(result.stderr).toContain('not reconnecting')
    expect(server.requestsTo('/events')).toHaveLength(1)
  })

  test('a wrong content type exits 1 with the content type on standard error', async () => {
    server.route('/events', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>'))
    const result = await runCli([server.url('/events')])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('text/html')
  })

  test('--retry always reconnects after an HTTP error', async () => {
    server.route(
      '/events',
      perAttempt((_req, res) => void res.writeHead(503).end(), streamAndHold('data: back\n\n')),
    )
    const result = await runCli(['--retry', 'always', '--retry-delay', '10', '-n', '1', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: 'back\n' })
    expect(result.stderr).toContain('status 503')
  })

  test('--retry never exits 1 at the first failure, even the end of the stream', async () => {
    server.route('/events', streamThenEnd('retry: 10\ndata: a\n\n'))
    const result = await runCli(['--retry', 'never', server.url('/events')])
    expect(result).toMatchObject({ code: 1, stdout: 'a\n' })
    expect(result.stderr).toContain('not reconnecting')
    expect(server.requestsTo('/events')).toHaveLength(1)
  })

  test('--retry-delay sets the reconnection time until the server sends retry:', async () => {
    server.route('/events', perAttempt(streamThenEnd('data: a\n\n'), streamAndHold('data: b\n\n')))
    const result = await runCli(['--retry-delay', '200', '-n', '2', server.url('/events')])
    expect(result.code).toBe(0)
    // The first wait is the reconnection time plus the default backoff's jitter (at most half of it).
    const delay = Number(/reconnecting in (\d+) ms/.exec(result.stderr)?.[1])
    expect(delay).toBeGreaterThanOrEqual(200)
    expect(delay).toBeLessThanOrEqual(300)
  })

  test('--read-timeout drops a silent connection and resumes', async () => {
    server.route('/events', perAttempt(streamAndHold('retry: 10\nid: 1\ndata: a\n\n'), streamAndHold('id: 2\ndata: b\n\n')))
    // Long enough that a loaded machine does not time out before the first event is read.
    const result = await runCli(['--read-timeout', '1000', '-n', '2', server.url('/events')])
    expect(result).toMatchObject({ code: 0, stdout: '[id=1] a\n[id=2] b\n' })
    expect(result.stderr).toContain('* error: read timeout after 1000 ms (kind timeout, attempt 1)')
    expect(result.stderr).toContain('(Last-Event-ID: 1)')
  })

  describe('usage errors exit 2 with the reason and the usage on standard error, and send nothing', () => {
    const cases: Array<[string, (url: string) => string[], RegExp]> = [
      ['an unknown flag', (url) => ['--colour', url], /Unknown option '--colour'/],
      ['no URL', () => [], /missing the URL/],
      ['two URLs', (url) => [url, url], /expected one URL, got 2/],
      ['a relative URL', () => ['/events'], /not an absolute URL: "\/events"/],
      ['a URL that is not http(s)', () => ['ftp://127.0.0.1/events'], /must be http: or https:/],
      ['a flag without its value', (url) => [url, '-n'], /-n/],
      ['a bad number for -n', (url) => ['-n', '0', url], /--max-events must be a whole number of at least 1, got "0"/],
      ['a bad number for --retry-delay', (url) => ['--retry-delay', '1e3', url], /--retry-delay must be a whole number of milliseconds/],
      [
        'a bad number for --read-timeout',
        (url) => ['--read-timeout', '0', url],
        /--read-timeout must be a whole number of milliseconds from 1/,
      ],
      ['a bad --retry', (url) => ['--retry', 'sometimes', url], /--retry must be spec, always or never, got "sometimes"/],
      ['a header without a colon', (url) => ['-H', 'Authorization Bearer x', url], /--header must be "Name: value"/],
      ['a header name fetch refuses', (url) => ['-H', 'Bad Name: x', url], /invalid `headers`/],
      ['a method fetch refuses', (url) => ['-X', 'CONNECT', url], /`method` must be/],
      ['a body with GET', (url) => ['-X', 'GET', '-d', 'x', url], /--data cannot be sent with --method GET/],
      ['a flag given twice that takes one value', (url) => ['-X', 'POST', '-X', 'PUT', url], /--method was given 2 times/],
    ]
    test.each(cases)('%s', async (_name, args, reason) => {
      const result = await runCli(args(server.url('/events')))
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(reason)
      expect(result.stderr).toContain('Usage: isomorphic-eventsource [options] <url>')
      expect(server.requests).toHaveLength(0)
    })
  })
})

describe('Ctrl-C (SIGINT)', () => {
  test('while streaming: closes the source and exits 130 promptly', async () => {
    server.route('/events', streamAndHold('data: first\n\n'))
    const cli = startCli([server.url('/events')])
    await waitFor(() => cli.stdout().includes('first'), { message: 'the first event' })
    cli.child.kill('SIGINT')
    const result = await cli.exit()
    expect(result.code).toBe(130)
  })

  test('while waiting to reconnect: exits 130 without waiting for the timer', async () => {
    server.route('/events', streamThenEnd('retry: 60000\ndata: first\n\n'))
    const cli = startCli([server.url('/events')])
    await waitFor(() => cli.stderr().includes('reconnecting in'), { message: 'the reconnection notice' })
    cli.child.kill('SIGINT')
    const result = await cli.exit()
    expect(result.code).toBe(130)
    expect(server.requestsTo('/events')).toHaveLength(1)
  })

  test('while reading the body from standard input: exits 130 and sends nothing', async () => {
    server.route('/events', streamAndHold('data: first\n\n'))
    const cli = startCli(['-d', '@-', server.url('/events')], { stdin: 'open' })
    cli.child.stdin?.write('part of a body')
    await waitFor(() => cli.stderr().includes('reading the request body from standard input'), { message: 'the notice' })
    cli.child.kill('SIGINT')
    const result = await cli.exit()
    expect(result.code).toBe(130)
    expect(server.requests).toHaveLength(0)
  })
})
