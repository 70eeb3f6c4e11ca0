/**
 * The builds for bundlers that target browsers and workers, met as an app meets them: the packed
 * tarball installed in a consumer project (test/helpers/packed-package.ts), resolved by name through
 * the package's `exports` and bundled with esbuild and with Rollup.
 *
 * The `browser`, `worker` and `react-native` conditions lead to dist/index.browser.mjs (and
 * dist/polyfill.browser.mjs): the global fetch only, no cross-fetch, no Node-only code. Everything
 * else keeps the Node builds.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { BuildOptions, Metafile } from 'esbuild'
import { packAndInstall, type PackedPackage } from './helpers/packed-package'

let pkg: PackedPackage

beforeAll(async () => {
  pkg = await packAndInstall(['index.browser.mjs', 'polyfill.browser.mjs', 'eventsource.min.js'])
}, 90000)

afterAll(() => pkg?.remove())

/** Bytes after `gzip -9`, as scripts/size-budget.mjs measures the browser script. */
const gzipped = (code: string) => gzipSync(code, { level: 9 }).length

/** The package files a bundle took in, as paths inside the package (`dist/index.browser.mjs`, …). */
function packageFiles(ids: string[]): string[] {
  const marker = `node_modules/${'isomorphic-eventsource'}/`
  return ids
    .map((id) => id.split(path.sep).join('/'))
    .filter((id) => id.includes(marker))
    .map((id) => id.slice(id.indexOf(marker) + marker.length))
    .sort()
}

interface Bundle {
  code: string
  /** Package files in the bundle. */
  files: string[]
  /** Every input (package or not), as esbuild names them. */
  inputs: string[]
}

/** Bundles `entry` (the app's code) with esbuild, one file, no code splitting. */
async function esbuildBundle(entry: string, options: BuildOptions = {}): Promise<Bundle> {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: pkg.consumer, loader: 'js' },
    absWorkingDir: pkg.consumer,
    bundle: true,
    write: false,
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    ...options,
  })
  const inputs = Object.keys((result.metafile as Metafile).inputs)
  return { code: (result.outputFiles ?? [])[0].text, files: packageFiles(inputs), inputs }
}

let appFiles = 0

/** Bundles `entry` with Rollup and @rollup/plugin-node-resolve, as a Rollup or Vite app would. */
async function rollupBundle(entry: string, resolveOptions: Record<string, unknown>): Promise<Bundle> {
  const { rollup } = await import('rollup')
  const { nodeResolve } = await import('@rollup/plugin-node-resolve')
  // The app is a file in the consumer project: the resolver looks for packages from the importer's folder.
  const app = path.join(pkg.consumer, `app-${++appFiles}.mjs`)
  writeFileSync(app, entry)
  const build = await rollup({
    input: app,
    plugins: [nodeResolve(resolveOptions)],
    onwarn: (warning) => {
      throw new Error(`rollup: ${warning.message}`)
    },
  })
  const { output } = await build.generate({ format: 'es' })
  await build.close()
  const ids = Object.keys(output[0].modules)
  return { code: output[0].code, files: packageFiles(ids), inputs: ids }
}

const importMain = `import { EventSource } from 'isomorphic-eventsource'\nnew EventSource('/events').onmessage = (event) => console.log(event.data)`
// What the package costs an app, without the app's own code.
const reexportMain = `export { EventSource } from 'isomorphic-eventsource'`
const importPolyfill = `import 'isomorphic-eventsource/polyfill'\nnew EventSource('/events')`

describe('which build a bundler resolves', () => {
  const browserBuild = ['dist/index.browser.mjs']
  const browserPolyfill = ['dist/index.browser.mjs', 'dist/polyfill.browser.mjs']

  test.each([
    ['esbuild, platform browser (the `browser` condition)', { platform: 'browser' }],
    [
      'esbuild, the `worker` condition (Cloudflare Workers, Vercel Edge, Deno Deploy bundles)',
      { platform: 'neutral', conditions: ['worker'], mainFields: ['module', 'main'] },
    ],
    [
      'esbuild, the `react-native` condition (Metro)',
      { platform: 'neutral', conditions: ['react-native'], mainFields: ['module', 'main'] },
    ],
  ] as [string, BuildOptions][])('%s: the browser build, for the main entry and the polyfill', async (_name, options) => {
    expect((await esbuildBundle(importMain, options)).files).toEqual(browserBuild)
    expect((await esbuildBundle(importPolyfill, options)).files).toEqual(browserPolyfill)
  })

  test.each([
    ['Rollup node-resolve with `browser: true` (Vite and Rollup apps for the browser)', { browser: true }],
    ['Rollup node-resolve with the `worker` condition', { exportConditions: ['worker'] }],
  ])('%s: the browser build', async (_name, options) => {
    const bundle = await rollupBundle(importMain, options)
    expect(bundle.files).toEqual(browserBuild)
    expect((await rollupBundle(importPolyfill, options)).files).toEqual(browserPolyfill)
  })

  test('esbuild for Node keeps the Node build (ES module)', async () => {
    expect((await esbuildBundle(importMain, { platform: 'node', external: ['cross-fetch'] })).files).toEqual(['dist/index.mjs'])
  })

  test('require() for the browser keeps the CommonJS build (CommonJS tools that target browsers, e.g. Jest with jsdom)', async () => {
    const bundle = await esbuildBundle(`const { EventSource } = require('isomorphic-eventsource')\nnew EventSource('/events')`, {
      platform: 'browser',
      format: 'iife',
      external: ['cross-fetch'],
    })
    expect(bundle.files).toEqual(['dist/index.cjs'])
  })
})

describe('a browser bundle of the packed package (esbuild --bundle --minify --platform=browser)', () => {
  const browser: BuildOptions = { platform: 'browser', minify: true }

  /** What only the Node builds have: cross-fetch and its XHR ponyfill, module loading, Node streams and timers. */
  function expectNoFetchPolyfillOrNodeCode(bundle: Bundle): void {
    expect(bundle.inputs.filter((input) => /cross-fetch|node-fetch|whatwg-fetch/.test(input))).toEqual([])
    expect(bundle.code).not.toMatch(/cross-fetch|node-fetch|XMLHttpRequest/)
    expect(bundle.code).not.toMatch(/\brequire\s*\(|\bimport\s*\(/)
    expect(bundle.code).not.toMatch(/\bBuffer\b|\bunref\b|\bdestroy\b|for\s*await/)
  }

  test('`import { EventSource }` has no fetch polyfill and no Node-only code', async () => {
    const bundle = await esbuildBundle(importMain, browser)
    expect(bundle.code).toContain('text/event-stream')
    expectNoFetchPolyfillOrNodeCode(bundle)
  })

  test("`import 'isomorphic-eventsource/polyfill'` installs the global and has no fetch polyfill and no Node-only code", async () => {
    const bundle = await esbuildBundle(importPolyfill, browser)
    expect(bundle.code).toMatch(/defineProperty\(globalThis,\s*"EventSource"/)
    expectNoFetchPolyfillOrNodeCode(bundle)
  })

  test('`import { EventSource }` is no bigger (min+gzip) than the browser script bundled the same way', async () => {
    // Both through esbuild from node_modules: `import 'isomorphic-eventsource/browser'` bundles the
    // script itself. (esbuild's minifier leaves the same code about 2 % bigger after gzip than
    // terser's, which made dist/eventsource.min.js, and wraps the licence comment of a package in a
    // "Bundled license information" block: comparing like with like keeps the bound about content.)
    const bundle = await esbuildBundle(reexportMain, browser)
    const script = await esbuildBundle(`import 'isomorphic-eventsource/browser'`, browser)
    expect(script.files).toEqual(['dist/eventsource.min.js'])
    expect(gzipped(bundle.code)).toBeLessThanOrEqual(gzipped(script.code))
  })

  test('with Rollup and terser (the minifier of the browser script and of webpack), no bigger (min+gzip) than the browser script', async () => {
    const { minify } = await import('terser')
    const bundle = await rollupBundle(reexportMain, { browser: true })
    const minified = (await minify(bundle.code, { module: true, format: { comments: /^!/ } })).code as string
    // (checked minified: the sources' comments, which terser drops, may name Node's APIs)
    expectNoFetchPolyfillOrNodeCode({ ...bundle, code: minified })
    const script = readFileSync(path.join(pkg.installed, 'dist', 'eventsource.min.js'), 'utf8')
    expect(gzipped(minified)).toBeLessThanOrEqual(gzipped(script))
  })
})

describe('tree-shaking the browser build', () => {
  // The exports that EventSource itself uses (the error event, the default backoff).
  const usedByEventSource = ['EventSource', 'EventSourceErrorEvent', 'exponentialBackoff']

  /** The names dist/index.browser.mjs exports at runtime. */
  async function runtimeExports(): Promise<string[]> {
    const esbuild = await import('esbuild')
    const result = await esbuild.build({
      entryPoints: [path.join(pkg.installed, 'dist', 'index.browser.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      metafile: true,
      outdir: path.join(pkg.work, 'exports'),
      logLevel: 'silent',
    })
    return Object.values((result.metafile as Metafile).outputs).flatMap((output) => output.exports)
  }

  /** Whether unminified code declares `name` (esbuild may suffix a number when names collide). */
  const declares = (code: string, name: string) =>
    new RegExp(`\\b(?:function\\*?|class)\\s+${name}\\d*\\b|\\b(?:var|let|const)\\s+${name}\\d*\\s*=`).test(code)

  test('an app that imports only EventSource gets none of the exports EventSource does not use', async () => {
    const names = await runtimeExports()
    expect(names).toEqual(expect.arrayContaining(usedByEventSource))
    const { code } = await esbuildBundle(importMain, { platform: 'browser' })
    expect(declares(code, 'EventSource')).toBe(true)
    const unusedButKept = names.filter((name) => !usedByEventSource.includes(name) && declares(code, name))
    expect(unusedButKept).toEqual([])
  })

  test('an app that imports only EventSource carries no SharedEventSource code (no BroadcastChannel, no Web Locks)', async () => {
    const { code } = await esbuildBundle(importMain, { platform: 'browser' })
    expect(code).toContain('text/event-stream')
    expect(code).not.toMatch(/BroadcastChannel|\blocks\d*\.request|SharedEventSource/)
    // The control: the same words are there when SharedEventSource is used.
    const shared = await esbuildBundle(`import { SharedEventSource } from 'isomorphic-eventsource'\nnew SharedEventSource('/events')`, {
      platform: 'browser',
    })
    expect(shared.code).toMatch(/BroadcastChannel/)
    expect(shared.code).toMatch(/\blocks\d*\.request/) // esbuild may suffix a number when names collide
  })

  test('an app that imports one helper gets it, without the EventSource class and the parser', async () => {
    const { code } = await esbuildBundle(`import { constantBackoff } from 'isomorphic-eventsource'\nconsole.log(constantBackoff(1, 2))`, {
      platform: 'browser',
    })
    expect(declares(code, 'constantBackoff')).toBe(true)
    expect(code).not.toContain('text/event-stream')
    expect(code).not.toContain('extends EventTarget')
  })
})
