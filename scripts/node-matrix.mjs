// `npm run test:node-versions`: runs the jest suite on every Node major the package supports, and
// on the majors that have a native EventSource, the native-vs-ours comparison beside it.
//
//   node scripts/node-matrix.mjs                 every major in MAJORS but the running one (the main
//                                                `jest` run of `npm test` covers that one)
//   node scripts/node-matrix.mjs --majors 18,24  only these
//   node scripts/node-matrix.mjs --install-only  only fetch the binaries into the cache
//
// Node binaries come from the npm registry as the `node-<platform>-<arch>@<major>` packages, fetched
// with `npm pack` (the ordinary npm client, so the registry, its proxy settings and npm's cache apply)
// and unpacked into .cache/node/<major>/ (gitignored). Nothing is installed globally. A binary already
// in the cache is used as it is; delete .cache/node to get the newest patch releases.
//
// The browser tests (test/browser/) run once, in the main jest run: they test Chromium, not Node.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The Node majors the package supports ("engines": ">=18"), oldest first. */
const MAJORS = [18, 20, 22, 24]
/** Majors whose own EventSource exists behind --experimental-eventsource (Node 22.3+). */
const NATIVE_EVENTSOURCE_MAJORS = [22, 24]

const root = fileURLToPath(new URL('..', import.meta.url))
const cacheDir = path.join(root, '.cache', 'node')
const reportDir = path.join(root, '.cache', 'node-matrix')
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js')
const currentMajor = Number(process.versions.node.split('.')[0])

function parseArgs(argv) {
  const args = { majors: undefined, installOnly: false }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--install-only') args.installOnly = true
    else if (argv[i] === '--majors') args.majors = argv[++i].split(',').map(Number)
    else throw new Error(`node-matrix: unknown argument ${argv[i]}`)
  }
  return args
}

/** The cached binary of a major, fetched from the registry first when it is not there yet. */
function ensureNode(major) {
  const dir = path.join(cacheDir, String(major))
  const bin = path.join(dir, 'bin', 'node')
  if (existsSync(bin)) return bin
  const name = `node-${process.platform}-${process.arch}`
  const started = Date.now()
  console.log(`node-matrix: fetching ${name}@${major} from the npm registry into ${path.relative(root, dir)}/`)
  const work = mkdtempSync(path.join(tmpdir(), 'node-matrix-'))
  try {
    const output = execFileSync('npm', ['pack', `${name}@${major}`, '--json', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    })
    const [{ filename, version }] = JSON.parse(output)
    const staging = `${dir}.partial`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(staging, { recursive: true })
    // Only the executable and its licence: the package also carries npm, headers and docs.
    execFileSync('tar', [
      '-xzf',
      path.join(work, path.basename(filename)),
      '-C',
      staging,
      '--strip-components=1',
      'package/bin/node',
      'package/LICENSE',
    ])
    writeFileSync(path.join(staging, 'VERSION'), `${version}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(staging, dir)
    console.log(`node-matrix: Node ${version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return bin
}

function versionOf(bin) {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
}

/**
 * Runs jest with `bin`, PATH led by bin's folder (so that child `node` and `npm` processes of the
 * tests run on the same version). Returns the counts from jest's JSON report.
 */
function runJest(bin, label, jestArgs, env = {}) {
  mkdirSync(reportDir, { recursive: true })
  const report = path.join(reportDir, `${label}.json`)
  rmSync(report, { force: true })
  const started = Date.now()
  const result = spawnSync(bin, [jestBin, '--ci', '--json', `--outputFile=${report}`, ...jestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}`, ...env },
  })
  const seconds = (Date.now() - started) / 1000
  let counts = { suites: 0, tests: 0, passed: 0, failed: 0 }
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    counts = { suites: json.numTotalTestSuites, tests: json.numTotalTests, passed: json.numPassedTests, failed: json.numFailedTests }
  }
  // A run that crashed before reporting, or reported no test, is a failure too.
  const ok = result.status === 0 && counts.tests > 0 && counts.failed === 0
  return { label, ok, seconds, ...counts }
}

function main() {
  const args = parseArgs(process.argv.slice(2))
  const majors = args.majors ?? MAJORS.filter((major) => major !== currentMajor)
  if (!args.majors) console.log(`node-matrix: Node ${currentMajor} (running this script) is covered by the main jest run`)

  const binaries = new Map()
  for (const major of majors) binaries.set(major, major === currentMajor ? process.execPath : ensureNode(major))
  if (args.installOnly) return

  const results = []
  for (const major of majors) {
    const bin = binaries.get(major)
    const version = versionOf(bin)
    console.log(`\nnode-matrix: jest on Node ${version}`)
    results.push({ version, ...runJest(bin, `node${major}`, ['--testPathIgnorePatterns', '/test/browser/']) })
  }
  // The native comparison also runs for the current major when it has a native EventSource.
  const nativeMajors = [...new Set([...majors, currentMajor])].filter((major) => NATIVE_EVENTSOURCE_MAJORS.includes(major))
  for (const major of nativeMajors) {
    const bin = binaries.get(major) ?? (major === currentMajor ? process.execPath : ensureNode(major))
    const version = versionOf(bin)
    console.log(`\nnode-matrix: Node ${version}'s own EventSource beside ours (--experimental-eventsource)`)
    results.push({
      version,
      ...runJest(bin, `node${major}-native`, ['--testMatch', '<rootDir>/test/node-versions/**/*.native-test.ts'], {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-eventsource`.trim(),
      }),
    })
  }

  console.log('\nnode-matrix summary')
  for (const r of results) {
    console.log(
      `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.label.padEnd(13)} ${r.version.padEnd(9)} ${String(r.passed).padStart(4)}/${r.tests} tests passed, ${r.suites} suites, ${r.seconds.toFixed(1)} s`,
    )
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1
}

main()
