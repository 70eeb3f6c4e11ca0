// `npm run check:package`: lints the package as it would be published (run after `npm run build`).
//
// publint --strict: package.json fields, exports map and packed files, warnings counted as errors.
// attw (Are the Types Wrong?) on the packed tarball, every entry point, under every resolution it
// knows: node10 (through "main"/"types" and "typesVersions"), node16 from CommonJS and from ESM, and
// bundler. Any problem fails the check; nothing is ignored.
//
// attw resolves with the default conditions only; the `browser`/`worker`/`react-native` builds'
// declarations are type-checked by test/package.test.ts (moduleResolution bundler with
// customConditions), and bundled by the same file.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = (bin, args) =>
  execFileSync(`node_modules/.bin/${bin}`, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })

run('publint', ['--strict'])
run('attw', ['--pack', '.'])
