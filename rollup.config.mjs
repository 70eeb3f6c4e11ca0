// One entry per published artifact:
//   dist/index.mjs, dist/index.cjs        main entry (eventsource-parser bundled, cross-fetch external)
//   dist/polyfill.mjs, dist/polyfill.cjs  side-effect entry; imports the class from ./index.* so a process
//                                         that loads both entries has exactly one EventSource class
//   dist/index.browser.mjs,               the main and polyfill entries for bundlers that target browsers and
//   dist/polyfill.browser.mjs             workers (the `browser`, `worker` and `react-native` export
//                                         conditions): global fetch only, no cross-fetch, no Node-only code
//   dist/eventsource.min.js               minified IIFE for <script> tags, global `IsomorphicEventSource`
//   dist/browser.cjs                      what `require('isomorphic-eventsource/browser')` runs in Node: the
//                                         same globals as the script, from the CommonJS build
//   dist/cli.mjs                          the `isomorphic-eventsource` command (package.json "bin"); imports
//                                         the class from ./index.mjs like the polyfill
//   dist/*.d.{mts,cts}                    bundled declarations, generated from the sources
import { readdirSync, readFileSync } from 'node:fs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import { dts } from 'rollup-plugin-dts'
import { esbuildTypeScript, executable, importFromMainEntry, replaceModule, strictWarnings } from './scripts/rollup-plugins.mjs'

const readJson = (file) => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'))
const pkg = readJson('./package.json')
const parser = readJson('./node_modules/eventsource-parser/package.json')

// eventsource-parser is bundled, so every chunk that contains it says so (computed per chunk, so a
// bundle without it carries no such claim). The `/*!` form survives minification.
const banner = (chunk) =>
  chunk.moduleIds.some((id) => id.includes('/node_modules/eventsource-parser/'))
    ? `/*! ${pkg.name} ${pkg.version}, MIT License. Bundles ${parser.name} ${parser.version}, (c) Espen Hovlandsdal, MIT License */`
    : ''

// Runtime dependencies stay imports; only cross-fetch is one (loaded lazily by src/fallback-fetch.ts).
const nodeExternal = ['cross-fetch']

const resolve = (options = {}) => nodeResolve({ extensions: ['.ts', '.mjs', '.js'], ...options })

const nodeOutput = {
  esm: { format: 'es', entryFileNames: '[name].mjs' },
  // dynamicImportInCjs: false turns `import('cross-fetch')` into a lazy `require('cross-fetch')` inside a
  // promise: CommonJS consumers that cannot run `import()` (Jest without --experimental-vm-modules,
  // older bundlers, some serverless loaders) still work, and cross-fetch (itself CommonJS) is only
  // loaded when a runtime without a global fetch opens its first connection.
  cjs: { format: 'cjs', entryFileNames: '[name].cjs', exports: 'named', dynamicImportInCjs: false },
}

const common = (output) => ({
  dir: 'dist',
  banner,
  generatedCode: 'es2015',
  ...output,
})

function mainEntry(kind) {
  return {
    input: { index: 'src/index.ts' },
    external: nodeExternal,
    onwarn: strictWarnings,
    plugins: [resolve(), esbuildTypeScript()],
    output: common(nodeOutput[kind]),
  }
}

function polyfillEntry(kind) {
  const extension = kind === 'esm' ? 'mjs' : 'cjs'
  return {
    input: { polyfill: 'src/polyfill.ts' },
    external: nodeExternal,
    onwarn: strictWarnings,
    plugins: [
      importFromMainEntry({ keep: ['src/polyfill.ts', 'src/install-global.ts'], target: `dist/index.${extension}` }),
      resolve(),
      esbuildTypeScript(),
    ],
    output: common(nodeOutput[kind]),
  }
}

// The command line: its own modules (src/cli/) bundled, the library imported from the main ES build.
const cliModules = readdirSync('src/cli').map((file) => `src/cli/${file}`)
const cliEntry = {
  input: { cli: 'src/cli/main.ts' },
  external: [/^node:/],
  onwarn: strictWarnings,
  plugins: [importFromMainEntry({ keep: cliModules, target: 'dist/index.mjs' }), resolve(), esbuildTypeScript(), executable()],
  output: { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', banner: '#!/usr/bin/env node', generatedCode: 'es2015' },
}

// The sources as the browser builds see them: fetch.ts (which can load cross-fetch), platform.ts
// (whose BROWSER_SCRIPT = false keeps the Node-only paths) and event-stream.ts (whose line splitting
// in the bytes pays only with Node's native byte search) swapped for their browser versions.
const browserModules = () => [
  replaceModule('src/fetch.ts', 'src/fetch.browser.ts'),
  replaceModule('src/platform.ts', 'src/platform.browser.ts'),
  replaceModule('src/event-stream.ts', 'src/event-stream.browser.ts'),
]

// Not minified (the bundler that consumes it minifies, and its users read it when debugging), but
// compressed by terser with its names and one statement per line kept: terser's passes (single-use
// functions inlined, constants folded, dead branches dropped) leave less for the app's minifier, so an
// app's `import { EventSource }` bundled and minified by esbuild comes out no bigger than the browser
// script (test/package-browser-bundle.test.ts). preserve_annotations keeps the /*#__PURE__*/ marks
// that let the app's bundler drop what it does not import.
const readableCompression = terser({
  ecma: 2020,
  module: true,
  compress: { passes: 3, sequences: false, join_vars: false, conditionals: false, if_return: false },
  mangle: false,
  format: { beautify: true, comments: /^!/, preserve_annotations: true },
})

const browserModuleEntry = {
  input: { 'index.browser': 'src/index.ts' },
  onwarn: strictWarnings,
  plugins: [...browserModules(), resolve({ browser: true }), esbuildTypeScript()],
  output: { ...common(nodeOutput.esm), plugins: [readableCompression] },
}

const browserPolyfillEntry = {
  input: { 'polyfill.browser': 'src/polyfill.ts' },
  onwarn: strictWarnings,
  plugins: [
    importFromMainEntry({ keep: ['src/polyfill.ts', 'src/install-global.ts'], target: 'dist/index.browser.mjs' }),
    resolve({ browser: true }),
    esbuildTypeScript(),
  ],
  output: common(nodeOutput.esm),
}

const browserScript = {
  input: 'src/browser.ts',
  onwarn: strictWarnings,
  plugins: [...browserModules(), resolve({ browser: true }), esbuildTypeScript()],
  output: {
    file: 'dist/eventsource.min.js',
    format: 'iife',
    banner,
    // No Symbol.toStringTag 'Module' and no Object.freeze on the IsomorphicEventSource namespace: bytes
    // that buy nothing in a <script> global (see scripts/size-budget.mjs for the budget).
    generatedCode: { preset: 'es2015', symbols: false },
    freeze: false,
    sourcemap: true,
    plugins: [terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: /^!/ } })],
  },
}

// `require('isomorphic-eventsource/browser')` (Node): the script's globals, set from the CommonJS build.
const browserScriptForRequire = {
  input: { browser: 'src/browser.ts' },
  external: nodeExternal,
  onwarn: strictWarnings,
  plugins: [
    importFromMainEntry({ keep: ['src/browser.ts', 'src/browser-api.ts', 'src/install-global.ts'], target: 'dist/index.cjs' }),
    resolve(),
    esbuildTypeScript(),
  ],
  // The global is dist/index.cjs's exports object itself, as the script's is its namespace (no `default`).
  output: common({ ...nodeOutput.cjs, interop: 'esModule' }),
}

function declarations(input, extension, plugins = []) {
  return {
    input,
    onwarn: strictWarnings,
    // respectExternal inlines types of bundled packages (eventsource-parser is a devDependency).
    plugins: [...plugins, dts({ respectExternal: true, compilerOptions: { noEmit: false } })],
    output: { dir: 'dist', format: 'es', entryFileNames: `[name].d.${extension}` },
  }
}

export default [
  mainEntry('esm'),
  mainEntry('cjs'),
  polyfillEntry('esm'),
  polyfillEntry('cjs'),
  browserModuleEntry,
  browserPolyfillEntry,
  cliEntry,
  browserScript,
  browserScriptForRequire,
  declarations({ index: 'src/index.ts' }, 'mts'),
  declarations({ 'index.browser': 'src/index.ts' }, 'mts'),
  declarations({ index: 'src/index.ts' }, 'cts'),
  declarations({ polyfill: 'src/polyfill.ts' }, 'mts', [
    importFromMainEntry({ keep: ['src/polyfill.ts', 'src/install-global.ts'], target: 'dist/index.mjs' }),
  ]),
  declarations({ polyfill: 'src/polyfill.ts' }, 'cts', [
    importFromMainEntry({ keep: ['src/polyfill.ts', 'src/install-global.ts'], target: 'dist/index.cjs' }),
  ]),
  // The script's globals: `import 'isomorphic-eventsource/browser'` runs dist/eventsource.min.js.
  declarations({ browser: 'src/browser.ts' }, 'mts', [
    importFromMainEntry({ keep: ['src/browser.ts', 'src/browser-api.ts', 'src/install-global.ts'], target: 'dist/index.browser.mjs' }),
  ]),
  declarations({ browser: 'src/browser.ts' }, 'cts', [
    importFromMainEntry({ keep: ['src/browser.ts', 'src/browser-api.ts', 'src/install-global.ts'], target: 'dist/index.cjs' }),
  ]),
  declarations({ 'polyfill.browser': 'src/polyfill.ts' }, 'mts', [
    importFromMainEntry({ keep: ['src/polyfill.ts', 'src/install-global.ts'], target: 'dist/index.browser.mjs' }),
  ]),
]
