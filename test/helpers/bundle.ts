import { buildSync } from 'esbuild'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bundled = new Map<string, string>()

/**
 * Bundles `entry` (by default the current src/) into one CommonJS file for child Node processes,
 * so that tests which need a process of their own always run today's source (not a stale dist/).
 * cross-fetch stays external, resolved from this repo's node_modules. Each entry is built once.
 */
export function bundleSourceForChild(entry = join(__dirname, '..', '..', 'src', 'index.ts')): string {
  const done = bundled.get(entry)
  if (done) return done
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['cross-fetch'],
    write: false,
  })
  const file = join(mkdtempSync(join(tmpdir(), 'iso-es-')), 'bundle.cjs')
  writeFileSync(file, result.outputFiles[0].text)
  bundled.set(entry, file)
  return file
}

/** The folder child scripts should resolve packages from (this repo's node_modules). */
export const REPO_ROOT = join(__dirname, '..', '..')
