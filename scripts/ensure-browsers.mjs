// `npm run setup:browsers` (run by `npm test` before jest): makes sure the three browser engines the
// browser tests (test/browser/) drive are installed from Debian packages:
//   - `chromium`            Chromium, driven by playwright-core
//   - `firefox-esr`         Firefox, driven by puppeteer-core over WebDriver BiDi
//   - `webkit2gtk-driver`   WebKitGTK's WebKitWebDriver and MiniBrowser, driven over WebDriver
//   - `xvfb`                a virtual display for MiniBrowser, which has no headless mode
//
// Whatever is missing is installed with one `apt-get update` and one `apt-get install -y`, which
// needs root and apt. No browser is ever downloaded by Playwright or Puppeteer: the tests launch the
// executables these packages install. When everything is there, this does nothing (a local run or
// a CI image with the packages preinstalled costs no time).
import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
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

/** Where Debian puts MiniBrowser (not on PATH); test/browser/engines/webkit.ts looks in the same places. */
const MINIBROWSER_PATHS = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkitgtk-6.0/MiniBrowser',
]

/** Each package, and how to tell it is installed. */
const packages = [
  { name: 'chromium', installed: () => findOnPath('chromium') },
  { name: 'firefox-esr', installed: () => findOnPath('firefox-esr') ?? findOnPath('firefox') },
  { name: 'webkit2gtk-driver', installed: () => findOnPath('WebKitWebDriver') && MINIBROWSER_PATHS.find((file) => existsSync(file)) },
  { name: 'xvfb', installed: () => findOnPath('Xvfb') },
]

function versionOf(executable) {
  try {
    return execFileSync(executable, ['--version'], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0]
  } catch {
    return 'version unknown'
  }
}

function install(names) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const apt = findOnPath('apt-get')
  if (process.platform !== 'linux' || !apt || !isRoot) {
    console.error(
      `ensure-browsers: missing ${names.join(', ')}, and this script can only install them as root with apt-get (Debian/Ubuntu).\n` +
        'Install them with your system package manager, then run the tests again.',
    )
    process.exit(1)
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const started = Date.now()
  console.log(`ensure-browsers: installing Debian's ${names.join(', ')} (apt-get, a few minutes)`)
  for (const args of [['update'], ['install', '-y', ...names]]) {
    const result = spawnSync(apt, args, { stdio: 'inherit', env })
    if (result.status !== 0) {
      console.error(`ensure-browsers: apt-get ${args.join(' ')} failed with ${result.status ?? result.signal}`)
      process.exit(1)
    }
  }
  console.log(`ensure-browsers: installed in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

const missing = packages.filter((pkg) => !pkg.installed()).map((pkg) => pkg.name)
if (missing.length > 0) install(missing)
const stillMissing = packages.filter((pkg) => !pkg.installed()).map((pkg) => pkg.name)
if (stillMissing.length > 0) {
  console.error(`ensure-browsers: installed, yet not found: ${stillMissing.join(', ')}`)
  process.exit(1)
}
const chromium = findOnPath('chromium')
const firefox = findOnPath('firefox-esr') ?? findOnPath('firefox')
const miniBrowser = MINIBROWSER_PATHS.find((file) => existsSync(file))
console.log(
  `ensure-browsers: ${chromium} (${versionOf(chromium)}); ${firefox} (${versionOf(firefox)}); ${miniBrowser}; ${findOnPath('WebKitWebDriver')}; ${findOnPath('Xvfb')}`,
)
