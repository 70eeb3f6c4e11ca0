/**
 * The suites that run in every engine, in this order (../engines.test.ts). Add a new one here.
 */
import type { Suite } from './context'
import { coreSuite } from './core'
import { credentialsSuite } from './credentials'
import { extensionSuite } from './extensions'
import { polyfillSuite } from './polyfill'
import { workerSuite } from './workers'

export const suites: Suite[] = [coreSuite, extensionSuite, polyfillSuite, credentialsSuite, workerSuite]

export type { Suite, SuiteContext } from './context'
