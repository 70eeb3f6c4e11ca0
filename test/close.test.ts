import { spawn } from 'node:child_process'
import { EventSource } from '../src'
import { bundleSourceForChild, REPO_ROOT } from './helpers/bundle'
import { dataOf, recordEvents, settle, typesOf, waitFor } from './helpers/recorder'
import { startStream, streamAndHold, streamThenEnd } from './helpers/server'
import { useServerPerTest } from './helpers/per-test'

const { server, open } = useServerPerTest()

describe('close() (HTML § 9.2.2): aborts the fetch, sets CLOSED, and nothing is dispatched after it', () => {
  test('while connecting: the request is aborted and no event follows', async () => {
    let requestClosed = false
    server.route('/s', (req) => {
      // Never answer; see the client go away.
      req.socket.on('close', () => (requestClosed = true))
    })
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => server.requests.length === 1)
    source.close()
    expect(source.readyState).toBe(EventSource.CLOSED)
    await waitFor(() => requestClosed, { message: 'the server to see the request aborted' })
    await settle(30)
    expect(events).toEqual([])
  })

  test('right after construction: no request event is ever dispatched', async () => {
    server.route('/s', streamAndHold('data: x\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    source.close()
    await settle(60)
    expect(events).toEqual([])
    expect(source.readyState).toBe(EventSource.CLOSED)
  })

  test('right after construction: no request is sent and a headers function is never called', async () => {
    server.route('/s', streamAndHold('data: x\n\n'))
    let headerCalls = 0
    const source = open('/s', {
      headers: () => {
        headerCalls++
        return { authorization: 'Bearer t' }
      },
    })
    source.close()
    await settle(60)
    expect(headerCalls).toBe(0)
    expect(server.requests).toHaveLength(0)
  })

  test('inside onopen: no message of the first chunk is dispatched', async () => {
    server.route('/s', streamAndHold('data: a\n\ndata: b\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    source.onopen = () => source.close()
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(30)
    expect(typesOf(events)).toEqual(['open'])
  })

  test('inside onmessage: the rest of the chunk is not dispatched', async () => {
    server.route('/s', streamAndHold('data: a\n\ndata: b\n\ndata: c\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    source.onmessage = () => source.close()
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(30)
    expect(dataOf(events)).toEqual(['a'])
  })

  test('inside a listener of a custom event type: nothing more is dispatched', async () => {
    server.route('/s', streamAndHold('event: t\ndata: a\n\nevent: t\ndata: b\n\ndata: c\n\n'))
    const source = open('/s')
    const seen: string[] = []
    source.addEventListener('t', (event) => {
      seen.push(event.data)
      source.close()
    })
    source.onmessage = (event) => seen.push(event.data)
    await waitFor(() => source.readyState === EventSource.CLOSED)
    await settle(30)
    expect(seen).toEqual(['a'])
  })

  test('while waiting to reconnect: the reconnection never happens', async () => {
    server.route('/s', streamThenEnd('retry: 40\ndata: a\n\n'))
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => events.some((e) => e.type === 'error'))
    source.close()
    await settle(120)
    expect(server.requests).toHaveLength(1)
    expect(typesOf(events)).toEqual(['open', 'message', 'error'])
  })

  test('while the body streams: the server sees the connection close, and later events are not dispatched', async () => {
    let closed = false
    server.route('/s', (_req, res) => {
      startStream(res).write('data: one\n\n')
      res.on('close', () => (closed = true))
      const timer = setInterval(() => res.write('data: more\n\n'), 5)
      res.on('close', () => clearInterval(timer))
    })
    const source = open('/s')
    const events = recordEvents(source)
    await waitFor(() => dataOf(events).length >= 1)
    source.close()
    const count = events.length
    await waitFor(() => closed, { message: 'the server to see the connection closed' })
    await settle(30)
    expect(events).toHaveLength(count)
  })

  test('calling close() twice is harmless', async () => {
    server.route('/s', streamAndHold(':\n'))
    const source = open('/s')
    await waitFor(() => source.readyState === EventSource.OPEN)
    source.close()
    expect(() => source.close()).not.toThrow()
    expect(source.readyState).toBe(EventSource.CLOSED)
  })
})

describe('a closed source leaves nothing that keeps a Node process alive', () => {
  // Each scenario runs in a child process that must exit by itself once the source is closed.
  const scenarios: Record<string, string> = {
    'closed while connecting': `
      const source = new EventSource(url('/hang'))
      setTimeout(() => source.close(), 50)`,
    'closed while open': `
      const source = new EventSource(url('/hold'))
      source.onopen = () => source.close()`,
    'closed inside onmessage': `
      const source = new EventSource(url('/hold'))
      source.onmessage = () => source.close()`,
    'closed while waiting to reconnect': `
      const source = new EventSource(url('/end'))
      source.onerror = () => setTimeout(() => source.close(), 10)`,
    'closed inside onerror': `
      const source = new EventSource(url('/end'))
      source.onerror = () => source.close()`,
    'failed by an HTTP error': `
      const source = new EventSource(url('/500'))`,
    'closed by its signal while a read timeout runs': `
      const controller = new AbortController()
      const source = new EventSource(url('/hold'), { signal: controller.signal, readTimeout: 60000 })
      source.onopen = () => controller.abort()`,
  }

  beforeEach(() => {
    server.route('/hang', () => {})
    server.route('/hold', streamAndHold('data: x\n\n'))
    server.route('/end', streamThenEnd('retry: 60000\ndata: x\n\n'))
    server.route('/500', (_req, res) => res.writeHead(500).end())
  })

  test.each(Object.keys(scenarios))('%s: the process exits by itself', async (name) => {
    const script = `
      const { EventSource } = require(${JSON.stringify(bundleSourceForChild())})
      const url = (path) => ${JSON.stringify(server.origin)} + path
      ${scenarios[name]}
    `
    const child = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exitCode = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve('still alive after 5 s')
      }, 5000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve(code ?? 'killed')
      })
    })
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' })
  })
})
