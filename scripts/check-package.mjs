// `npm run check:package`: lints the package as it would be published (run after `npm run build`).
//
// publint --strict: package.json fields, exports map and packed files, warnings counted as errors.
// attw (Are the Types Wrong?) on the packed tarball, with two deliberate exceptions:
//   --profile node16              skips TypeScript's legacy `node10` resolution, which ignores "exports"
//                                 and so cannot see the `./polyfill` subpath. The main entry still
//                                 works there through "main"/"types" (test/package.test.ts type-checks
//                                 a node10 consumer), and `import 'isomorphic-eventsource/polyfill'` as
//                                 a side-effect import needs no types.
//   --exclude-entrypoints ./browser  `./browser` is the minified IIFE for <script> tags (and for copying
//                                 the file as an asset); it is not a module, exports nothing, and so has
//                                 no types to check.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = (bin, args) =>
  execFileSync(`node_modules/.bin/${bin}`, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })

run('publint', ['--strict'])
run('attw', ['--pack', '.', '--profile', 'node16', '--exclude-entrypoints', './browser'])
