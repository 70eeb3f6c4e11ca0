// `npm run setup:chromium` (run by `npm test` before jest): makes sure there is a `chromium`
// executable on PATH for the browser tests (test/browser/), which drive it with playwright-core.
//
// When there is none, it installs Debian's `chromium` package (apt-get update && apt-get install -y
// chromium), which needs root and apt. Nothing is downloaded by Playwright: the tests launch the
// executable that the system package puts on PATH. When `chromium` is already there, this does
// nothing (a local run or a CI image with the package preinstalled costs no time).
import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import path from 'node:path'

/** The first `name` on PATH that is an executable file, or undefined. */
function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

function describe(executable) {
  try {
    return execFileSync(executable, ['--version'], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'version unknown'
  }
}

function install() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const apt = findOnPath('apt-get')
  if (process.platform !== 'linux' || !apt || !isRoot) {
    console.error(
      'ensure-chromium: no `chromium` on PATH, and this script can only install it as root with apt-get (Debian/Ubuntu).\n' +
        'Install Chromium with your system package manager so that `chromium` is on PATH, then run the tests again.',
    )
    process.exit(1)
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const started = Date.now()
  console.log('ensure-chromium: no `chromium` on PATH; installing Debian\'s chromium package (apt-get, a few minutes)')
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const result = spawnSync(apt, args, { stdio: 'inherit', env })
    if (result.status !== 0) {
      console.error(`ensure-chromium: apt-get ${args.join(' ')} failed with ${result.status ?? result.signal}`)
      process.exit(1)
    }
  }
  console.log(`ensure-chromium: installed in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

let chromium = findOnPath('chromium')
if (!chromium) {
  install()
  chromium = findOnPath('chromium')
  if (!chromium) {
    console.error('ensure-chromium: the chromium package is installed, yet there is no `chromium` on PATH')
    process.exit(1)
  }
}
console.log(`ensure-chromium: ${chromium} (${describe(chromium)})`)
