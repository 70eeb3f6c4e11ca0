import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** The repository's root (where package.json and dist/ are). */
export const ROOT = path.resolve(__dirname, '..', '..')
export const PACKAGE_NAME = 'isomorphic-eventsource'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to its end; never rejects (the exit code says how it went). */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeout ?? 20000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** Fails with the child's output when it did not exit with 0, so a broken build says why. */
export function expectSuccess(result: Run): void {
  if (result.code !== 0) {
    throw new Error(`child exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`)
  }
}

export interface PackedPackage {
  /** A temporary folder holding the tarball and the consumer project. */
  work: string
  /** A consumer project whose node_modules holds the package as `npm install <tarball>` places it. */
  consumer: string
  /** consumer/node_modules/isomorphic-eventsource */
  installed: string
  /** The files in the tarball, sorted. */
  packedFiles: string[]
  /** The path of a command of the package's `bin`, linked in consumer/node_modules/.bin as npm links it. */
  bin(name: string): string
  /** Removes `work`. */
  remove(): void
}

/**
 * Packs the repo with `npm pack` (so the `files` list is what is tested) and unpacks the tarball
 * into `<tmp>/consumer/node_modules/isomorphic-eventsource`, as `npm install <tarball>` would place
 * it. Its one runtime dependency, cross-fetch, is symlinked there from the repo's node_modules (Node
 * follows the symlink to its real path, where node-fetch and the rest of its dependencies are). A
 * real `npm install <tarball>` would need the registry, or an npm cache that happens to hold
 * cross-fetch's whole dependency tree for `--offline`; this way needs neither, yet every consumer
 * resolves `isomorphic-eventsource` by name through the package's own `exports` map. Each command
 * of the package's `bin` is linked into `consumer/node_modules/.bin`, as npm links it, so the
 * commands run with the file mode the tarball carries.
 *
 * `npm run build` must have run first (`npm test` does that); `requiredFiles` (in dist/) are checked.
 */
export async function packAndInstall(requiredFiles: string[]): Promise<PackedPackage> {
  for (const file of requiredFiles) {
    try {
      readFileSync(path.join(ROOT, 'dist', file))
    } catch {
      throw new Error(`dist/${file} is missing: run \`npm run build\` before these tests (npm test does)`)
    }
  }
  const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'isomorphic-eventsource-package-')))
  const remove = () => rmSync(work, { recursive: true, force: true })
  try {
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, timeout: 60000 })
    expectSuccess(packed)
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }]
    const packedFiles = info.files.map((file) => file.path).sort()

    const consumer = path.join(work, 'consumer')
    const installed = path.join(consumer, 'node_modules', PACKAGE_NAME)
    mkdirSync(installed, { recursive: true })
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
    const tarball = path.join(work, path.basename(info.filename))
    expectSuccess(await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { cwd: work }))
    const crossFetch = path.dirname(realpathSync(require.resolve('cross-fetch/package.json')))
    symlinkSync(crossFetch, path.join(consumer, 'node_modules', 'cross-fetch'), 'junction')
    const binDir = path.join(consumer, 'node_modules', '.bin')
    linkBins(installed, binDir)
    return { work, consumer, installed, packedFiles, bin: (name) => path.join(binDir, name), remove }
  } catch (error) {
    remove()
    throw error
  }
}

/** Links each command of the package's `bin` into `binDir`, relative, as npm does. */
function linkBins(installed: string, binDir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { bin?: Record<string, string> }
  mkdirSync(binDir, { recursive: true })
  for (const [name, target] of Object.entries(manifest.bin ?? {})) {
    symlinkSync(path.relative(binDir, path.join(installed, target)), path.join(binDir, name))
  }
}
