/**
 * The engines the browser suites run in, in the order they run: one at a time, never side by side
 * (a CI machine has two cores).
 */
import type { EngineName, RunningEngine } from './engine'

export interface EngineEntry {
  name: EngineName
  /** The engine's name in test titles. */
  label: string
  /**
   * Whether its driver can take the page offline for real (`EnginePage.setOffline`): Playwright's
   * `context.setOffline` in Chromium, WebDriver BiDi's offline network conditions in Firefox; plain
   * WebDriver has nothing of the kind for WebKit.
   */
  canGoOffline: boolean
  launch(): Promise<RunningEngine>
}

export const engines: EngineEntry[] = [
  { name: 'chromium', label: 'Chromium', canGoOffline: true, launch: async () => (await import('./chromium')).launch() },
  { name: 'firefox', label: 'Firefox', canGoOffline: true, launch: async () => (await import('./firefox')).launch() },
  { name: 'webkit', label: 'WebKit', canGoOffline: false, launch: async () => (await import('./webkit')).launch() },
]

export type { EngineName, EnginePage, RunningEngine } from './engine'
