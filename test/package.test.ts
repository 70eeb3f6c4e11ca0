/**
 * Tests of the published package, not of the sources: they run against dist/ as `npm pack` would
 * publish it, installed in a consumer project (see test/helpers/packed-package.ts), so `npm run
 * build` must have run first (`npm test` does that). The builds for bundlers that target browsers
 * are tested in test/package-browser-bundle.test.ts.
 *
 * Every runtime check runs in a fresh child `node` process, so globals (EventSource, fetch) and the
 * module caches start clean and can be taken away.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import { expectSuccess, packAndInstall, run, type PackedPackage, type Run } from './helpers/packed-package'
import { startServer, streamAndHold, type TestServer } from './helpers/server'
import { waitFor } from './helpers/recorder'

const root = path.resolve(__dirname, '..')
const eventText = 'hello from the loopback server'

/** The last line a child printed, parsed as JSON (children report their findings that way). */
function report(result: Run): Record<string, unknown> {
  expectSuccess(result)
  const lines = result.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

let pkg: PackedPackage
let consumer: string
let installed: string
let packedFiles: string[]
let server: TestServer

/** Runs a CommonJS (`.cjs`) or ES module (`.mjs`) program in the consumer project. */
async function runProgram(fileName: string, source: string, nodeFlags: string[] = []): Promise<Run> {
  const file = path.join(consumer, fileName)
  writeFileSync(file, source)
  return run(process.execPath, [...nodeFlags, file], { cwd: consumer, env: { EVENTS_URL: server.url('/events') } })
}

/**
 * A program body that opens `new <expression>(EVENTS_URL)`, waits for the first message and prints
 * what it saw as JSON. It exits on its own accord once done, and with 2 on an error event.
 */
const streamOneEvent = (expression: string, extra = '') => `
  const source = new ${expression}(process.env.EVENTS_URL)
  source.onerror = (event) => { console.error('error event', event && event.message); process.exit(2) }
  source.onmessage = (event) => {
    source.close()
    console.log(JSON.stringify({ data: event.data, origin: event.origin, readyState: source.readyState ${extra} }))
    process.exit(0)
  }
`

beforeAll(async () => {
  pkg = await packAndInstall(['index.mjs', 'index.cjs', 'polyfill.mjs', 'polyfill.cjs', 'eventsource.min.js', 'browser.cjs', 'cli.mjs'])
  ;({ consumer, installed, packedFiles } = pkg)

  server = await startServer({ '/events': streamAndHold(`retry: 60000\ndata: ${eventText}\n\n`) })
}, 90000)

afterAll(async () => {
  await server?.close()
  pkg?.remove()
})

describe('the packed package', () => {
  test('ships the built files, the README, the licences and package.json, and no sources or tests', () => {
    expect(packedFiles).toEqual(
      [
        'LICENSE',
        'README.md',
        'THIRD-PARTY-NOTICES.md',
        'dist/browser.cjs',
        'dist/browser.d.cts',
        'dist/browser.d.mts',
        'dist/cli.mjs',
        'dist/eventsource.min.js',
        'dist/eventsource.min.js.map',
        'dist/index.browser.d.mts',
        'dist/index.browser.mjs',
        'dist/index.cjs',
        'dist/index.d.cts',
        'dist/index.d.mts',
        'dist/index.mjs',
        'dist/polyfill.browser.d.mts',
        'dist/polyfill.browser.mjs',
        'dist/polyfill.cjs',
        'dist/polyfill.d.cts',
        'dist/polyfill.d.mts',
        'dist/polyfill.mjs',
        'package.json',
      ].sort(),
    )
  })

  test('has cross-fetch as its only runtime dependency, since eventsource-parser is bundled', () => {
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['cross-fetch'])
    expect(Object.keys(manifest.peerDependencies ?? {})).not.toContain('eventsource-parser')
  })

  test('every build imports no package but cross-fetch, only the Node builds import that, and the command line only Node built-ins and the main build', () => {
    const imports = (file: string) => {
      const code = readFileSync(path.join(installed, 'dist', file), 'utf8')
      const found = new Set<string>()
      for (const match of code.matchAll(/\b(?:from|import|require)\s*\(?\s*['"]([^'"]+)['"]/g)) found.add(match[1])
      return [...found].sort()
    }
    expect(imports('index.mjs')).toEqual(['cross-fetch'])
    expect(imports('index.cjs')).toEqual(['cross-fetch'])
    expect(imports('polyfill.mjs')).toEqual(['./index.mjs'])
    expect(imports('polyfill.cjs')).toEqual(['./index.cjs'])
    expect(imports('index.browser.mjs')).toEqual([])
    expect(imports('polyfill.browser.mjs')).toEqual(['./index.browser.mjs'])
    expect(imports('browser.cjs')).toEqual(['./index.cjs'])
    expect(imports('eventsource.min.js')).toEqual([])
    expect(imports('cli.mjs')).toEqual(['./index.mjs', 'node:fs', 'node:fs/promises', 'node:util'])
  })

  test('the CommonJS build loads cross-fetch with a lazy require, not import()', () => {
    const code = readFileSync(path.join(installed, 'dist', 'index.cjs'), 'utf8')
    expect(code).not.toMatch(/\bimport\s*\(/)
    // the require sits inside a function body (a promise callback), not at the top level
    expect(code).toMatch(/=>[^\n]*require\(['"]cross-fetch['"]\)/)
  })

  test('each bundle that contains eventsource-parser names it and its MIT licence, and the notices carry the licence text', () => {
    for (const file of ['index.mjs', 'index.cjs', 'index.browser.mjs', 'eventsource.min.js']) {
      const head = readFileSync(path.join(installed, 'dist', file), 'utf8').slice(0, 400)
      expect(head).toMatch(/^\/\*! isomorphic-eventsource /)
      expect(head).toMatch(/Bundles eventsource-parser \d+\.\d+\.\d+/)
      expect(head).toContain('MIT License')
    }
    const notices = readFileSync(path.join(installed, 'THIRD-PARTY-NOTICES.md'), 'utf8')
    const parserLicence = readFileSync(path.join(root, 'node_modules', 'eventsource-parser', 'LICENSE'), 'utf8').trim()
    expect(notices).toContain(parserLicence)
  })
})

describe('Node consumers', () => {
  test("require('isomorphic-eventsource') gives the CommonJS build, whose EventSource streams an event", async () => {
    const result = report(
      await runProgram(
        'require-main.cjs',
        `const api = require('isomorphic-eventsource')
         const { EventSource } = api
         ${streamOneEvent(
           'EventSource',
           `, resolved: require.resolve('isomorphic-eventsource'),
           exports: Object.keys(api).filter((name) => typeof api[name] === 'function').sort(),
           constants: [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]`,
         )}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, readyState: 2, constants: [0, 1, 2] })
    expect(result.resolved).toBe(path.join(installed, 'dist', 'index.cjs'))
    expect(result.exports).toEqual(
      expect.arrayContaining(['EventSource', 'EventSourceErrorEvent', 'constantBackoff', 'exponentialBackoff']),
    )
  })

  test("import { EventSource } from 'isomorphic-eventsource' gives the ES module build, whose EventSource streams an event", async () => {
    const result = report(
      await runProgram(
        'import-main.mjs',
        `import { EventSource, EventSourceErrorEvent, exponentialBackoff, constantBackoff } from 'isomorphic-eventsource'
         if (![EventSourceErrorEvent, exponentialBackoff, constantBackoff].every((f) => typeof f === 'function')) process.exit(3)
         ${streamOneEvent('EventSource', `, resolved: import.meta.resolve('isomorphic-eventsource')`)}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, readyState: 2 })
    expect(result.resolved).toBe(new URL(`file://${path.join(installed, 'dist', 'index.mjs')}`).href)
  })

  test('the CommonJS build runs where require() cannot load ES modules (Node 18), as eventsource-parser is bundled', async () => {
    // Node 20.19+ and 22.12+ can require() ES modules; this flag turns that off to act like Node 18.
    const flags = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : []
    const result = report(
      await runProgram(
        'require-without-require-esm.cjs',
        `const { EventSource } = require('isomorphic-eventsource')\n${streamOneEvent('EventSource')}`,
        flags,
      ),
    )
    expect(result).toMatchObject({ data: eventText })
  })

  test('with a global fetch, the CommonJS build never loads cross-fetch', async () => {
    const result = report(
      await runProgram(
        'global-fetch.cjs',
        `const { EventSource } = require('isomorphic-eventsource')
         const crossFetchLoaded = () => Object.keys(require.cache).some((file) => file.includes('cross-fetch'))
         ${streamOneEvent('EventSource', ', crossFetchLoaded: crossFetchLoaded()')}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, crossFetchLoaded: false })
  })

  test('without a global fetch, the CommonJS build requires cross-fetch on first connection and streams through it', async () => {
    const result = report(
      await runProgram(
        'no-fetch.cjs',
        `delete globalThis.fetch
         const { EventSource } = require('isomorphic-eventsource')
         const crossFetchLoaded = () => Object.keys(require.cache).some((file) => file.includes('cross-fetch'))
         const loadedAtStart = crossFetchLoaded()
         ${streamOneEvent('EventSource', ', loadedAtStart, crossFetchLoaded: crossFetchLoaded()')}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, loadedAtStart: false, crossFetchLoaded: true })
  })

  test('without a global fetch, the ES module build imports cross-fetch and streams through it', async () => {
    const result = report(
      await runProgram(
        'no-fetch.mjs',
        `delete globalThis.fetch
         const { EventSource } = await import('isomorphic-eventsource')
         ${streamOneEvent('EventSource')}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText })
  })
})

describe('the polyfill entry', () => {
  test("import 'isomorphic-eventsource/polyfill' installs the main entry's EventSource as the global one where there is none", async () => {
    const result = report(
      await runProgram(
        'polyfill-missing.mjs',
        `delete globalThis.EventSource
         await import('isomorphic-eventsource/polyfill')
         const main = await import('isomorphic-eventsource')
         const polyfill = await import('isomorphic-eventsource/polyfill')
         ${streamOneEvent(
           'globalThis.EventSource',
           `, sameAsMain: globalThis.EventSource === main.EventSource,
           polyfillExport: polyfill.EventSource === main.EventSource,
           enumerable: Object.getOwnPropertyDescriptor(globalThis, 'EventSource').enumerable`,
         )}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, sameAsMain: true, polyfillExport: true, enumerable: false })
  })

  test("require('isomorphic-eventsource/polyfill') installs the main entry's EventSource as the global one where there is none", async () => {
    const result = report(
      await runProgram(
        'polyfill-missing.cjs',
        `delete globalThis.EventSource
         const polyfill = require('isomorphic-eventsource/polyfill')
         const main = require('isomorphic-eventsource')
         ${streamOneEvent(
           'globalThis.EventSource',
           `, sameAsMain: globalThis.EventSource === main.EventSource,
           polyfillExport: polyfill.EventSource === main.EventSource`,
         )}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, sameAsMain: true, polyfillExport: true })
  })

  test('the ES module polyfill keeps a native EventSource that is already there', async () => {
    const result = report(
      await runProgram(
        'polyfill-native.mjs',
        `class NativeEventSource extends EventTarget {}
         globalThis.EventSource = NativeEventSource
         const polyfill = await import('isomorphic-eventsource/polyfill')
         const main = await import('isomorphic-eventsource')
         console.log(JSON.stringify({ kept: globalThis.EventSource === NativeEventSource, polyfillExport: polyfill.EventSource === main.EventSource }))`,
      ),
    )
    expect(result).toEqual({ kept: true, polyfillExport: true })
  })

  test('the CommonJS polyfill keeps a native EventSource that is already there', async () => {
    const result = report(
      await runProgram(
        'polyfill-native.cjs',
        `class NativeEventSource extends EventTarget {}
         globalThis.EventSource = NativeEventSource
         const polyfill = require('isomorphic-eventsource/polyfill')
         const main = require('isomorphic-eventsource')
         console.log(JSON.stringify({ kept: globalThis.EventSource === NativeEventSource, polyfillExport: polyfill.EventSource === main.EventSource }))`,
      ),
    )
    expect(result).toEqual({ kept: true, polyfillExport: true })
  })
})

describe('bundlers', () => {
  // esbuild honours package.json "sideEffects" the way webpack and Rollup do.
  async function bundle(entry: string): Promise<string> {
    const esbuild = await import('esbuild')
    const result = await esbuild.build({
      stdin: { contents: entry, resolveDir: consumer, loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      external: ['cross-fetch'],
      logLevel: 'silent',
    })
    return result.outputFiles[0].text
  }

  test("keep `import 'isomorphic-eventsource/polyfill'`, which sideEffects lists", async () => {
    const output = await bundle(`import 'isomorphic-eventsource/polyfill'`)
    expect(output).toMatch(/defineProperty\(globalThis, "EventSource"/)
  })

  test('drop an unused import of the main entry, which has no side effects', async () => {
    const output = await bundle(`import { EventSource } from 'isomorphic-eventsource'`)
    expect(output.trim()).toBe('')
  })
})

describe('the browser script', () => {
  const script = () => readFileSync(path.join(installed, 'dist', 'eventsource.min.js'), 'utf8')

  /** A global scope with what a browser has that the script needs, and without EventSource. */
  function browserLikeContext(extra: Record<string, unknown> = {}): vm.Context {
    const host = globalThis as Record<string, unknown>
    const names = [
      'AbortController',
      'AbortSignal',
      'DOMException',
      'Event',
      'EventTarget',
      'MessageEvent',
      'Headers',
      'Request',
      'Response',
      'ReadableStream',
      'TextDecoder',
      'TextEncoder',
      'URL',
      'URLSearchParams',
      'fetch',
      'setTimeout',
      'clearTimeout',
      'queueMicrotask',
      'console',
    ]
    const globals: Record<string, unknown> = {}
    for (const name of names) if (name in host) globals[name] = host[name]
    return vm.createContext({ ...globals, ...extra })
  }

  test('defines EventSource where the global scope has none, and exposes IsomorphicEventSource.EventSource', async () => {
    const context = browserLikeContext()
    expect(vm.runInContext('typeof EventSource', context)).toBe('undefined')
    vm.runInContext(script(), context, { filename: 'eventsource.min.js' })
    expect(vm.runInContext('typeof IsomorphicEventSource.EventSource', context)).toBe('function')
    expect(vm.runInContext('globalThis.EventSource === IsomorphicEventSource.EventSource', context)).toBe(true)
    expect(vm.runInContext('typeof IsomorphicEventSource.EventSourceErrorEvent', context)).toBe('function')
    // SharedEventSource is for apps that bundle the package: not in the script, not a byte of it.
    expect(vm.runInContext('typeof IsomorphicEventSource.SharedEventSource', context)).toBe('undefined')
    expect(script()).not.toMatch(/BroadcastChannel|locks\.request/)

    const received: string[] = []
    context.record = (data: string) => received.push(data)
    vm.runInContext(
      `var source = new EventSource(${JSON.stringify(server.url('/events'))})
       source.onmessage = function (event) { record(event.data); source.close() }`,
      context,
    )
    await waitFor(() => received.length > 0, { message: 'a message event in the vm context' })
    expect(received).toEqual([eventText])
  })

  test('leaves an EventSource that the global scope already has alone', () => {
    const context = browserLikeContext()
    vm.runInContext('function NativeEventSource() {}; globalThis.EventSource = NativeEventSource', context)
    vm.runInContext(script(), context, { filename: 'eventsource.min.js' })
    expect(vm.runInContext('EventSource === NativeEventSource', context)).toBe(true)
    expect(vm.runInContext('typeof IsomorphicEventSource.EventSource', context)).toBe('function')
    expect(vm.runInContext('IsomorphicEventSource.EventSource !== NativeEventSource', context)).toBe(true)
  })

  test('contains no cross-fetch and no module loading', () => {
    const code = script()
    expect(code).not.toContain('cross-fetch')
    expect(code).not.toContain('node-fetch')
    expect(code).not.toMatch(/\brequire\s*\(/)
    expect(code).not.toMatch(/\bimport\s*\(/)
  })

  test("import 'isomorphic-eventsource/browser' runs the script as a module and it still defines both globals", async () => {
    const result = report(
      await runProgram(
        'script-import.mjs',
        `delete globalThis.EventSource
         await import('isomorphic-eventsource/browser')
         ${streamOneEvent(
           'IsomorphicEventSource.EventSource',
           `, resolved: import.meta.resolve('isomorphic-eventsource/browser'),
           globalIsOurs: globalThis.EventSource === IsomorphicEventSource.EventSource,
           exports: Object.keys(IsomorphicEventSource).sort()`,
         )}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, globalIsOurs: true })
    expect(result.resolved).toBe(new URL(`file://${path.join(installed, 'dist', 'eventsource.min.js')}`).href)
    expect(result.exports).toEqual(
      expect.arrayContaining(['EventSource', 'EventSourceErrorEvent', 'constantBackoff', 'exponentialBackoff']),
    )
  })

  test("require('isomorphic-eventsource/browser') defines the same globals from the CommonJS build", async () => {
    const result = report(
      await runProgram(
        'script-require.cjs',
        `delete globalThis.EventSource
         require('isomorphic-eventsource/browser')
         const main = require('isomorphic-eventsource')
         ${streamOneEvent(
           'IsomorphicEventSource.EventSource',
           `,
           sameAsMain: Object.keys(IsomorphicEventSource).every((name) => IsomorphicEventSource[name] === main[name]),
           exports: Object.keys(IsomorphicEventSource).sort(),
           globalIsOurs: globalThis.EventSource === main.EventSource`,
         )}`,
      ),
    )
    expect(result).toMatchObject({ data: eventText, sameAsMain: true, globalIsOurs: true })
    // As in the script: everything the main entry exports but SharedEventSource.
    expect(result.exports).toEqual(['EventSource', 'EventSourceErrorEvent', 'constantBackoff', 'exponentialBackoff'])
  })
})

describe('TypeScript consumers', () => {
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
  const nodeTypes = path.join(root, 'node_modules', '@types')

  // Uses of the public types that must compile, and misuses that must not (@ts-expect-error fails
  // the compilation when the line below it is accepted, so `any` types cannot pass).
  const body = (polyfillImport: string) => `
    ${polyfillImport}
    const init: EventSourceInit = {
      withCredentials: true,
      headers: async () => ({ authorization: 'Bearer token' }),
      method: 'POST',
      body: '{}',
      backoff: exponentialBackoff({ max: 10_000 }),
      readTimeout: 30_000,
      shouldRetry: (failure: ConnectionFailure) => failure.kind !== 'http' || failure.status === 503,
    }
    const source: EventSource = new EventSource('https://example.test/events', init)
    const state: number = source.readyState + EventSource.CLOSED
    const url: string = source.url
    source.onerror = (event) => void event
    source.addEventListener('error', (event) => {
      if (event instanceof EventSourceErrorEvent) {
        const kind: FailureKind = event.kind
        const delay: number | undefined = event.retryDelay
        void [kind, delay]
      }
    })
    const constant: BackoffStrategy = constantBackoff
    const sameClass: typeof EventSource = PolyfillEventSource
    source.close()
    void [state, url, constant, sameClass]
    // @ts-expect-error retryDelay is a number of ms
    new EventSource('https://example.test/events', { retryDelay: 'soon' })
    // @ts-expect-error the URL is required
    new EventSource()
    // @ts-expect-error readyState is read-only
    source.readyState = 1
  `
  const mainImport = `EventSource, EventSourceErrorEvent, exponentialBackoff, constantBackoff, type EventSourceInit,
    type ConnectionFailure, type FailureKind, type BackoffStrategy`

  function project(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>): string {
    const dir = path.join(consumer, name)
    mkdirSync(dir, { recursive: true })
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text)
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', skipLibCheck: false, typeRoots: [nodeTypes], ...compilerOptions },
        files: Object.keys(files),
      }),
    )
    return dir
  }

  /** Type-checks the project; resolves to the package's declaration files the program used. */
  async function typeCheck(dir: string): Promise<string[]> {
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: dir, timeout: 60000 })
    if (result.code !== 0) throw new Error(`tsc failed in ${dir}:\n${result.stdout}${result.stderr}`)
    return result.stdout
      .split('\n')
      .filter((file) => file.includes('/node_modules/isomorphic-eventsource/'))
      .map((file) => path.relative(installed, file.trim()))
      .sort()
  }

  test('a Node project with moduleResolution node16 type-checks a .cts require and an .mts import against the built types', async () => {
    const dir = project(
      'node16',
      { module: 'node16', moduleResolution: 'node16', lib: ['ES2022', 'DOM'], types: ['node'] },
      {
        'consumer.cts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}`,
        'consumer.mts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}`,
      },
    )
    await typeCheck(dir)
  }, 60000)

  test('a Node project without the DOM library (only @types/node globals) type-checks against the built types', async () => {
    const dir = project(
      'node-only',
      { module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] },
      {
        'consumer.mts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}`,
      },
    )
    await typeCheck(dir)
  }, 60000)

  test('a project with moduleResolution bundler and the DOM library type-checks against the built types', async () => {
    const dir = project(
      'bundler',
      { module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      {
        'consumer.ts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}`,
      },
    )
    await typeCheck(dir)
  }, 60000)

  test('a project with the legacy moduleResolution node10 finds the main entry through "types", and the subpaths through "typesVersions"', async () => {
    const dir = project(
      'node10',
      { module: 'CommonJS', moduleResolution: 'node10', lib: ['ES2022', 'DOM'], types: [] },
      {
        'consumer.ts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}
          import 'isomorphic-eventsource/browser'
          const scriptClass: typeof EventSource = IsomorphicEventSource.EventSource
          void scriptClass`,
      },
    )
    expect(await typeCheck(dir)).toEqual(['dist/browser.d.cts', 'dist/index.d.cts', 'dist/polyfill.d.cts'])
  }, 60000)

  test("a bundler project for browsers (customConditions `browser`) type-checks against the browser build's declarations", async () => {
    const dir = project(
      'bundler-browser',
      { module: 'ESNext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['ES2022', 'DOM'], types: [] },
      {
        'consumer.ts': `import { ${mainImport} } from 'isomorphic-eventsource'\n${body(`import { EventSource as PolyfillEventSource } from 'isomorphic-eventsource/polyfill'`)}`,
      },
    )
    expect(await typeCheck(dir)).toEqual(['dist/index.browser.d.mts', 'dist/polyfill.browser.d.mts'])
  }, 60000)

  // A page with <script src=".../eventsource.min.js"> references the declarations of its globals.
  const scriptGlobals = `
    const source: EventSource = new IsomorphicEventSource.EventSource('https://example.test/events', { readTimeout: 30_000 })
    const delay: number = IsomorphicEventSource.constantBackoff(1, 3000)
    source.addEventListener('error', (event) => void (event instanceof IsomorphicEventSource.EventSourceErrorEvent && event.kind))
    void delay
    // @ts-expect-error the script defines only what the package exports
    IsomorphicEventSource.somethingElse
  `

  test("the script's global IsomorphicEventSource is typed for a page that references isomorphic-eventsource/browser", async () => {
    const dir = project(
      'script-tag',
      { module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      { 'page.ts': `/// <reference types="isomorphic-eventsource/browser" />\n${scriptGlobals}\nexport {}` },
    )
    expect(await typeCheck(dir)).toEqual(['dist/browser.d.mts', 'dist/index.browser.d.mts'])
  }, 60000)

  // Each route declares the global as the build it runs defines it (the script, or dist/index.cjs).
  test.each([
    ['consumer.mts', ['dist/browser.d.mts', 'dist/index.browser.d.mts']],
    ['consumer.cts', ['dist/browser.d.cts', 'dist/index.d.cts']],
  ])(
    '%s importing isomorphic-eventsource/browser (node16) gets the global IsomorphicEventSource typed',
    async (file, declarations) => {
      const dir = project(
        `script-node16-${path.extname(file).slice(1)}`,
        { module: 'node16', moduleResolution: 'node16', lib: ['ES2022', 'DOM'], types: ['node'] },
        {
          [file]: `import 'isomorphic-eventsource/browser'\n${scriptGlobals}`,
        },
      )
      expect(await typeCheck(dir)).toEqual(declarations)
    },
    60000,
  )
})
