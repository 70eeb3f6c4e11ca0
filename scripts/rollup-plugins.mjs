// Small Rollup plugins used by rollup.config.mjs. Kept here so the config reads as a list of artifacts.
import { chmod } from 'node:fs/promises'
import path from 'node:path'
import { transform } from 'esbuild'

/**
 * Compiles TypeScript with esbuild's transform (types stripped, syntax lowered to `target`). Type checking
 * is `npm run typecheck`'s job; tsconfig.json has `isolatedModules`, so per-file compilation is safe.
 */
export function esbuildTypeScript({ target = 'es2022' } = {}) {
  return {
    name: 'esbuild-typescript',
    async transform(code, id) {
      if (!/\.[cm]?ts$/.test(id) || id.endsWith('.d.ts')) return null
      const result = await transform(code, {
        loader: 'ts',
        format: 'esm',
        target,
        sourcefile: id,
        sourcemap: true,
        tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
      })
      for (const warning of result.warnings) this.warn(`${warning.text} (${id})`)
      return { code: result.code, map: result.map }
    },
  }
}

/**
 * Replaces one source module by another (the browser script swaps fetch.ts, which can load
 * cross-fetch, for fetch.browser.ts, which only takes the global fetch).
 */
export function replaceModule(from, to) {
  const fromPath = path.resolve(from)
  const toPath = path.resolve(to)
  return {
    name: 'replace-module',
    async resolveId(source, importer, options) {
      if (!importer || !source.startsWith('.')) return null
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true })
      return resolved && resolved.id === fromPath ? toPath : null
    },
  }
}

/**
 * Makes the polyfill builds import the class from the main entry's built file instead of bundling
 * a second copy: every import of a source module other than the ones listed in `keep` becomes an
 * external import of `target` (e.g. dist/index.mjs, rendered as './index.mjs', so `target` must sit
 * next to the output). Those modules must
 * only import names the main entry exports; a missing one fails the package tests (ESM) or gives
 * `undefined` (CJS), which the same tests catch.
 */
export function importFromMainEntry({ keep, target }) {
  const keepPaths = new Set(keep.map((file) => path.resolve(file)))
  const targetPath = path.resolve(target)
  return {
    name: 'import-from-main-entry',
    async resolveId(source, importer, options) {
      if (!importer || !source.startsWith('.')) return null
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true })
      if (!resolved || keepPaths.has(resolved.id)) return null
      return { id: targetPath, external: 'absolute' }
    },
    // Rendered as './index.mjs' (a sibling in dist/), whatever the source directory.
    outputOptions(options) {
      const paths = typeof options.paths === 'object' ? options.paths : {}
      return { ...options, paths: { ...paths, [targetPath]: `./${path.basename(targetPath)}` } }
    },
  }
}

/**
 * Makes every file the build writes executable (0755): the command line's script is run through
 * its `#!/usr/bin/env node` line, from the packed tarball too (npm pack keeps the mode).
 */
export function executable() {
  return {
    name: 'executable',
    async writeBundle(options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!fileName.endsWith('.map')) await chmod(path.join(options.dir ?? path.dirname(options.file), fileName), 0o755)
      }
    },
  }
}

/** Fails the build on warnings that mean a broken artifact (an import left unresolved, a missing export). */
export function strictWarnings(warning, defaultHandler) {
  const fatal = ['UNRESOLVED_IMPORT', 'MISSING_EXPORT', 'MISSING_GLOBAL_NAME', 'EVAL']
  if (fatal.includes(warning.code)) throw new Error(`rollup: ${warning.message}`)
  defaultHandler(warning)
}
