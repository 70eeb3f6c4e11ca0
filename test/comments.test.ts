/**
 * Extension: `onComment(text)`, called for each comment line (HTML § 9.2.6: "If the line starts
 * with a U+003A COLON character (:) — Ignore the line", which the spec's own API does; we also
 * hand the text to the caller), in stream order with the events. These are LaunchDarkly's
 * "comments" contract tests (ssetests/tests_comments.go) with the comments delivered, which
 * test/contract-comments.test.ts leaves out, plus splits, BOMs and sizes.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { EventSource } from '../src'
import { bundleSourceForChild, REPO_ROOT } from './helpers/bundle'
import { useServerPerTest } from './helpers/per-test'
import { settle, waitFor } from './helpers/recorder'
import { startStream, streamInPieces } from './helpers/server'

const { server, open } = useServerPerTest()

const runNode = (script: string) => promisify(execFile)(process.execPath, ['-e', script], { cwd: REPO_ROOT, timeout: 10_000 })

/** The comments and events of a source, in the order they came: `:text` for comments, `type=data` for events. */
function recordStream(path: string, init: { maxEventSize?: number } = {}): { log: string[]; source: EventSource } {
  const log: string[] = []
  const source = open(path, { ...init, onComment: (text) => log.push(`:${text}`) })
  source.addEventListener('message', (event) => log.push(`message=${event.data}`))
  source.addEventListener('error', () => log.push('error'))
  return { log, source }
}

describe('extension: onComment', () => {
  test('a single comment: its text after the colon ("single comment")', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(':Hello\n'))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 1)
    expect(log).toEqual([':Hello'])
  })

  test('one space after the colon is not part of the text; a second one is', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(': one space\n:  two spaces\n:\n'))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 3)
    expect(log).toEqual([':one space', ': two spaces', ':'])
  })

  test('two comments in a row, in separate chunks ("two comments in a row")', async () => {
    server.route('/s', streamInPieces([':Hello\n', ':World\n'], { hold: true }))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 2)
    expect(log).toEqual([':Hello', ':World'])
  })

  test('comments before, between the lines of, and after an event come in stream order ("comment before/after event")', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(':before\ndata: a\n:inside\ndata: b\n\n:after\n'))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 4)
    // A comment inside an event is reported when its line is read; the event when its blank line is.
    expect(log).toEqual([':before', ':inside', 'message=a\nb', ':after'])
  })

  test('a comment split across chunks, even inside a multi-byte character, is reported once, whole', async () => {
    const bytes = Buffer.from(':héllo wörld 😀\ndata: x\n\n')
    server.route('/s', streamInPieces([bytes.subarray(0, 4), bytes.subarray(4, 15), bytes.subarray(15)], { hold: true }))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 2)
    expect(log).toEqual([':héllo wörld 😀', 'message=x'])
  })

  test('a comment after a BOM is a comment (the BOM is not part of the line)', async () => {
    server.route(
      '/s',
      (_req, res) => void startStream(res).write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(':hi\ndata: x\n\n')])),
    )
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 2)
    expect(log).toEqual([':hi', 'message=x'])
  })

  test('CR and CRLF end comment lines too', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(':a\r:b\r\n:c\n'))
    const { log } = recordStream('/s')
    await waitFor(() => log.length === 3)
    expect(log).toEqual([':a', ':b', ':c'])
  })

  test('a comment longer than maxEventSize is never reported in part: it ends the connection as an oversized data line does', async () => {
    server.route('/s', streamInPieces([`:${'x'.repeat(300)}`, 'y'.repeat(300), '\n:short\ndata: after\n\n'], { hold: true }))
    const errors: string[] = []
    const { log, source } = recordStream('/s', { maxEventSize: 100 })
    source.addEventListener('error', (event) => errors.push(event.kind))
    await waitFor(() => errors.length === 1)
    await settle(50)
    expect(errors).toEqual(['event-size'])
    expect(log).toEqual(['error'])
  })

  test('without onComment, a comment longer than maxEventSize is dropped as it arrives: the stream goes on', async () => {
    server.route('/s', streamInPieces([`:${'x'.repeat(300)}`, 'y'.repeat(300), '\n:short\ndata: after\n\n'], { hold: true }))
    const messages: string[] = []
    const source = open('/s', { maxEventSize: 100 })
    source.onmessage = (event) => messages.push(event.data)
    await waitFor(() => messages.length === 1)
    expect(messages).toEqual(['after'])
    expect(source.readyState).toBe(EventSource.OPEN)
  })

  test("an exception in onComment is reported as uncaught, as a listener's would be, and the stream goes on", async () => {
    // In a process of its own: jest keeps uncaught exceptions to itself.
    const script = `
      const { createServer } = require('node:http')
      const { EventSource } = require(${JSON.stringify(bundleSourceForChild())})
      const uncaught = []
      process.on('uncaughtException', (error) => uncaught.push(error.message))
      const server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).write(':boom\\ndata: after\\n\\n')
      }).listen(0, '127.0.0.1', () => {
        const source = new EventSource('http://127.0.0.1:' + server.address().port + '/', {
          onComment: () => { throw new Error('comment handler bug') },
        })
        source.onmessage = (event) => {
          setTimeout(() => {
            console.log(JSON.stringify({ data: event.data, uncaught, readyState: source.readyState }))
            source.close()
            server.close()
            server.closeAllConnections()
          }, 20)
        }
      })`
    const { stdout } = await runNode(script)
    expect(JSON.parse(stdout)).toEqual({ data: 'after', uncaught: ['comment handler bug'], readyState: EventSource.OPEN })
  })

  test('no comment is reported after close()', async () => {
    server.route('/s', (_req, res) => void startStream(res).write(':one\n:two\n:three\n'))
    const comments: string[] = []
    const source = open('/s', {
      onComment: (text) => {
        comments.push(text)
        if (text === 'one') source.close()
      },
    })
    await waitFor(() => comments.length >= 1)
    await settle(50)
    expect(comments).toEqual(['one'])
  })

  test('onComment must be a function', () => {
    expect(() => new EventSource('http://127.0.0.1:1/', { onComment: 'log' as unknown as () => void })).toThrow(
      /`onComment` must be a function/,
    )
  })
})
