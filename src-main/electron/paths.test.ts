import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isVettedExternalUrl } from './externalLinks'
import { appPaths } from './paths'

describe('appPaths', () => {
  it('reads the bundled model from resources/ in an installed app', () => {
    const paths = appPaths({
      isPackaged: true,
      resourcesPath: '/opt/Stylemap Studio/resources',
      appPath: '/opt/Stylemap Studio/resources/app.asar',
      mainDir: '/opt/Stylemap Studio/resources/app.asar/out/main',
    })
    expect(paths.bundledModels).toBe(join('/opt/Stylemap Studio/resources', 'models'))
    expect(paths.preload).toBe(join('/opt/Stylemap Studio/resources/app.asar/out/preload/index.cjs'))
    expect(paths.engineHost).toBe(join('/opt/Stylemap Studio/resources/app.asar/out/main/host.js'))
    expect(paths.verifyHost).toBe(join('/opt/Stylemap Studio/resources/app.asar/out/main/verifyHost.js'))
    expect(paths.renderer).toBe(join('/opt/Stylemap Studio/resources/app.asar/out/renderer'))
    expect(paths.icon).toBe(join('/opt/Stylemap Studio/resources/icon.png'))
    expect(paths.checkpointTemplates).toBe(join('/opt/Stylemap Studio/resources', 'templates'))
  })

  it("reads the repo's models/ folder in development", () => {
    const paths = appPaths({
      isPackaged: false,
      resourcesPath: '/x/node_modules/electron/dist/resources',
      appPath: '/work/repo',
      mainDir: '/work/repo/out/main',
    })
    expect(paths.bundledModels).toBe(join('/work/repo', 'models'))
    expect(paths.icon).toBe(join('/work/repo/build/icons/512x512.png'))
    expect(paths.checkpointTemplates).toBe(join('/work/repo', 'models', 'templates'))
  })

  it('matches where electron-vite writes the bundles and electron-builder puts the model', async () => {
    const { readFile } = await import('node:fs/promises')
    const config = await readFile(join(import.meta.dirname, '../../electron.vite.config.ts'), 'utf8')
    expect(config).toContain("entryFileNames: '[name].cjs'")
    expect(config).toContain("host: resolve(here, 'src-main/engine/host.ts')")
    expect(config).toContain("verifyHost: resolve(here, 'src-main/torch/verifyHost.ts')")
    const builder = await readFile(join(import.meta.dirname, '../../electron-builder.yml'), 'utf8')
    expect(builder).toMatch(/from: models\/utkface-64\s+to: models\/utkface-64/)
  })
})

describe('isVettedExternalUrl', () => {
  it('allows https links to the licence and source pages', () => {
    expect(isVettedExternalUrl('https://creativecommons.org/licenses/by-nc/4.0/')).toBe(true)
    expect(isVettedExternalUrl('https://github.com/naver-ai/StyleMapGAN')).toBe(true)
    expect(isVettedExternalUrl('https://arxiv.org/abs/2104.14754')).toBe(true)
  })

  it('refuses other schemes, hosts, credentials and ports', () => {
    for (const url of [
      'http://creativecommons.org/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://evil.example/',
      'https://github.com.evil.example/',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'smb://server/share',
      'not a url',
    ]) {
      expect(isVettedExternalUrl(url), url).toBe(false)
    }
  })
})
