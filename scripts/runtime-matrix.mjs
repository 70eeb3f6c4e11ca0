// `npm run test:runtimes`: runs test/runtimes/ (the built package under Deno and Bun, with the
// running Node beside them as the reference) and ends with a line `N passed, N failed`.
//
//   node scripts/runtime-matrix.mjs                    deno, bun and node
//   node scripts/runtime-matrix.mjs --runtimes deno    only these (deno, bun, node)
//   node scripts/runtime-matrix.mjs --install-only     only fetch the binaries into the cache
//
// The binaries come from the npm registry, the way the `deno` and `bun` npm packages ship them:
// the platform packages `@deno/<platform>-<arch>[-glibc]` and `@oven/bun-<platform>-<arch>`, at
// the pinned versions below (DENO_VERSION / BUN_VERSION=latest for the newest), fetched with `npm pack`
// (the ordinary npm client: its registry, proxy settings and cache apply) and unpacked into
// .cache/deno/<version>/ and .cache/bun/<version>/ (gitignored). A version already in the cache is
// used as it is; when the registry cannot be asked, the newest cached version is used. Set
// DENO_VERSION or BUN_VERSION to test another version. Nothing is installed globally, and the
// runtimes download nothing: Deno runs with --no-remote --no-npm and Bun with --no-install.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cacheRoot = path.join(root, '.cache')
const reportDir = path.join(cacheRoot, 'runtime-matrix')
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js')

/** npm's names for this platform, per runtime. */
const platform = { linux: 'linux', darwin: 'darwin' }[process.platform]
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch]

const RUNTIMES = {
  deno: {
    meta: 'deno',
    platformPackage: () => `@deno/${platform}-${arch}${platform === 'linux' ? '-glibc' : ''}`,
    /** Where the binary is in the package's tarball. */
    entry: 'package/deno',
    versionEnv: 'DENO_VERSION',
    // Pinned, so that a new release cannot turn `npm test` red without a change here; raise it on purpose.
    tested: '2.9.6',
    argv: (bin) => [
      bin,
      'run',
      // No deno.json, lock file, remote or npm modules: only the files the scenario imports.
      '--no-config',
      '--no-lock',
      '--no-remote',
      '--no-npm',
      '--no-prompt',
      // The loopback server, and nothing else: the package needs no other permission.
      '--allow-net=127.0.0.1',
    ],
    env: () => ({ DENO_DIR: path.join(cacheRoot, 'deno', 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' }),
  },
  bun: {
    meta: 'bun',
    platformPackage: () => `@oven/bun-${platform}-${arch === 'arm64' ? 'aarch64' : arch}`,
    entry: 'package/bin/bun',
    versionEnv: 'BUN_VERSION',
    tested: '1.4.5',
    argv: (bin) => [bin, '--no-install'],
    env: () => ({ DO_NOT_TRACK: '1' }),
  },
}

function parseArgs(argv) {
  const args = { runtimes: ['deno', 'bun', 'node'], installOnly: false }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--install-only') args.installOnly = true
    else if (argv[i] === '--runtimes') args.runtimes = argv[++i].split(',')
    else throw new Error(`runtime-matrix: unknown argument ${argv[i]}`)
  }
  for (const name of args.runtimes) {
    if (name !== 'node' && !RUNTIMES[name]) throw new Error(`runtime-matrix: unknown runtime ${name}`)
  }
  return args
}

/** Version strings, newest first. */
function newestFirst(versions) {
  const parts = (v) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p))
  return [...versions].sort((a, b) => {
    const [pa, pb] = [parts(a), parts(b)]
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      if (pa[i] === pb[i]) continue
      if (pa[i] === undefined) return 1
      if (pb[i] === undefined) return -1
      return pa[i] < pb[i] ? 1 : -1
    }
    return 0
  })
}

function cachedVersions(name) {
  const dir = path.join(cacheRoot, name)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((v) => /^\d+\.\d+\.\d+/.test(v) && existsSync(path.join(dir, v, 'VERSION')))
}

/**
 * The version to test: $<NAME>_VERSION (a version, or `latest` for the registry's newest), else the
 * pinned one.
 */
function wantedVersion(name) {
  const runtime = RUNTIMES[name]
  const wanted = process.env[runtime.versionEnv] || runtime.tested
  if (wanted !== 'latest') return wanted
  try {
    return JSON.parse(
      execFileSync('npm', ['view', runtime.meta, 'version', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    )
  } catch (error) {
    const [newest] = newestFirst(cachedVersions(name))
    if (newest) {
      console.log(`runtime-matrix: could not ask the registry for ${runtime.meta}'s version; using the cached ${newest}`)
      return newest
    }
    throw error
  }
}

/** The cached binary of a runtime at a version, fetched from the registry first when it is not there yet. */
function ensureRuntime(name, version) {
  const runtime = RUNTIMES[name]
  if (!platform || !arch) throw new Error(`runtime-matrix: no ${name} package for ${process.platform}-${process.arch}`)
  const dir = path.join(cacheRoot, name, version)
  const bin = path.join(dir, path.basename(runtime.entry))
  if (existsSync(path.join(dir, 'VERSION')) && existsSync(bin)) return bin
  const spec = `${runtime.platformPackage()}@${version}`
  const started = Date.now()
  console.log(`runtime-matrix: fetching ${spec} from the npm registry into ${path.relative(root, dir)}/`)
  const work = mkdtempSync(path.join(tmpdir(), 'runtime-matrix-'))
  try {
    const output = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    })
    const [{ filename, version: packed }] = JSON.parse(output)
    if (packed !== version) throw new Error(`runtime-matrix: asked for ${spec}, npm packed ${packed}`)
    const staging = `${dir}.partial`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(staging, { recursive: true })
    // Only the executable: the packages hold nothing else but a README and package.json.
    execFileSync('tar', [
      '-xzf',
      path.join(work, path.basename(filename)),
      '-C',
      staging,
      `--strip-components=${runtime.entry.split('/').length - 1}`,
      runtime.entry,
    ])
    chmodSync(path.join(staging, path.basename(runtime.entry)), 0o755)
    writeFileSync(path.join(staging, 'VERSION'), `${version}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(staging, dir)
    // Older versions are of no more use: each binary is about 100 MB.
    for (const old of cachedVersions(name)) if (old !== version) rmSync(path.join(cacheRoot, name, old), { recursive: true, force: true })
    console.log(`runtime-matrix: ${name} ${version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return bin
}

function main() {
  const started = Date.now()
  const args = parseArgs(process.argv.slice(2))
  const runtimes = []
  for (const name of args.runtimes) {
    if (name === 'node') {
      runtimes.push({ name, version: process.versions.node, argv: [process.execPath] })
      continue
    }
    const version = wantedVersion(name)
    const bin = ensureRuntime(name, version)
    runtimes.push({ name, version, argv: RUNTIMES[name].argv(bin), env: RUNTIMES[name].env() })
  }
  if (args.installOnly) return

  for (const runtime of runtimes) console.log(`runtime-matrix: ${runtime.name} ${runtime.version} (${runtime.argv.join(' ')})`)
  mkdirSync(reportDir, { recursive: true })
  const report = path.join(reportDir, 'report.json')
  rmSync(report, { force: true })
  const result = spawnSync(
    process.execPath,
    [jestBin, '--ci', '--json', `--outputFile=${report}`, '--testMatch', '<rootDir>/test/runtimes/**/*.runtime-test.ts'],
    { cwd: root, stdio: 'inherit', env: { ...process.env, RUNTIMES: JSON.stringify(runtimes) } },
  )
  let passed = 0
  let failed = 0
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    passed = json.numPassedTests
    failed = json.numFailedTests + json.numRuntimeErrorTestSuites
  }
  // A run that crashed before reporting, or ran no test, is a failure too.
  if (passed + failed === 0 || (result.status !== 0 && failed === 0)) failed += 1
  console.log(
    `runtime-matrix: ${runtimes.map((r) => `${r.name} ${r.version}`).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  console.log(`${passed} passed, ${failed} failed`)
  if (failed > 0) process.exitCode = 1
}

main()
