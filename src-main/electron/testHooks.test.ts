import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testHooks } from './testHooks'

const all = {
  STYLEMAP_E2E: '1',
  STYLEMAP_USER_DATA_DIR: '/tmp/profile',
  STYLEMAP_E2E_DIALOG_FILE: 'dialogs.json',
  STYLEMAP_E2E_MODELS_DIR: '/tmp/models',
  STYLEMAP_E2E_CATALOG_URLS: JSON.stringify({ celeba_hq: 'http://127.0.0.1:4000/celeba.pt' }),
}

describe('end-to-end test hooks of Electron main', () => {
  it('are ignored by a packaged app, whatever the environment says', () => {
    expect(testHooks(all, true)).toBeNull()
  })

  it('are off unless STYLEMAP_E2E is exactly 1', () => {
    expect(testHooks({}, false)).toBeNull()
    expect(testHooks({ ...all, STYLEMAP_E2E: 'true' }, false)).toBeNull()
    expect(testHooks({ STYLEMAP_E2E_DIALOG_FILE: 'dialogs.json' }, false)).toBeNull()
  })

  it('in a development build, redirect the profile, dialogs and models as asked', () => {
    expect(testHooks(all, false)).toEqual({
      userDataDir: '/tmp/profile',
      dialogFile: resolve('dialogs.json'),
      modelsDir: '/tmp/models',
      catalogUrls: { celeba_hq: 'http://127.0.0.1:4000/celeba.pt' },
    })
    expect(testHooks({ STYLEMAP_E2E: '1' }, false)).toEqual({ userDataDir: null, dialogFile: null, modelsDir: null, catalogUrls: null })
  })

  it('refuse catalog addresses that are not http(s) or name no released data set', () => {
    expect(() => testHooks({ STYLEMAP_E2E: '1', STYLEMAP_E2E_CATALOG_URLS: JSON.stringify({ celeba_hq: 'file:///etc/passwd' }) }, false)).toThrow()
    expect(() => testHooks({ STYLEMAP_E2E: '1', STYLEMAP_E2E_CATALOG_URLS: JSON.stringify({ ffhq: 'http://127.0.0.1/x.pt' }) }, false)).toThrow()
  })
})
