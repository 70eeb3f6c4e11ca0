import { buildSync } from 'esbuild'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let bundled: string | undefined

/**
 * Bundles the current src/ into one CommonJS file for child Node processes, so that tests which
 * need a process of their own always run today's source (not a stale dist/). cross-fetch stays
 * external, resolved from this repo's node_modules.
 */
export function bundleSourceForChild(): string {
  if (bundled) return bundled
  const result = buildSync({
    entryPoints: [join(__dirname, '..', '..', 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['cross-fetch'],
    write: false,
  })
  const dir = mkdtempSync(join(tmpdir(), 'iso-es-'))
  bundled = join(dir, 'index.cjs')
  writeFileSync(bundled, result.outputFiles[0].text)
  return bundled
}

/** The folder child scripts should resolve packages from (this repo's node_modules). */
export const REPO_ROOT = join(__dirname, '..', '..')
