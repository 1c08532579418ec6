// The packaging config: valid for electron-builder, and it unpacks every native library
// onnxruntime-node and sharp load (the top complaint about packaged ONNX apps).
import { readdir, readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { minimatch } from 'minimatch'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { faceModelDir, faceNetFiles } from '../engine/faces/faceNets'

const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)
// electron-builder's own YAML reader (a dependency of app-builder-lib)
const { load } = require('js-yaml') as { load: (text: string) => unknown }

interface BuilderConfig {
  appId: string
  productName: string
  asar: boolean
  asarUnpack: string[]
  files: string[]
  extraResources: { from: string; to: string }[]
  linux: { target: string[]; icon: string }
  win: { target: string[]; icon: string }
  mac: { target: string[]; icon: string }
  directories: { buildResources: string; output: string }
  electronFuses: Record<string, boolean>
}

async function loadConfig(): Promise<BuilderConfig> {
  return load(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(full)))
    else out.push(full)
  }
  return out
}

const isNativeLibrary = (file: string) => /\.(node|dll|dylib)$|\.so(\.\d+)*$/.test(file)

describe('electron-builder config', () => {
  it('passes electron-builder’s own schema validation', async () => {
    const config = await loadConfig()
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration: (config: unknown, logger: { isEnabled: boolean; add: () => void }) => Promise<void>
    }
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined()
    // and rejects nonsense, so the check above means something
    await expect(validateConfiguration({ ...config, asarUnpak: ['x'] }, { isEnabled: false, add: () => {} })).rejects.toThrow(/asarUnpak/)
  })

  it('builds AppImage + deb, NSIS and dmg with an app id and a real icon set', async () => {
    const config = await loadConfig()
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9]+)+$/)
    expect(config.productName).toBe('Stylemap Studio')
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.mac.target).toEqual(['dmg'])
    // macOS and Windows icons are converted from a PNG of at least 512 px.
    const icon = await sharp(join(root, config.mac.icon)).metadata()
    expect(icon.width).toBeGreaterThanOrEqual(512)
    expect(icon.height).toBe(icon.width)
    const linuxIcons = (await readdir(join(root, config.linux.icon))).filter((f) => /^\d+x\d+\.png$/.test(f))
    expect(linuxIcons.length).toBeGreaterThanOrEqual(6)
    for (const name of linuxIcons) {
      const size = Number(name.split('x')[0])
      expect((await sharp(join(root, config.linux.icon, name)).metadata()).width, name).toBe(size)
    }
  })

  it('unpacks every native library of onnxruntime-node and sharp from the asar', async () => {
    const config = await loadConfig()
    expect(config.asar).toBe(true)
    for (const pattern of ['**/*.node', '**/*.so*', '**/*.dll', '**/*.dylib']) expect(config.asarUnpack).toContain(pattern)
    const packages = ['onnxruntime-node', 'sharp', ...(await readdir(join(root, 'node_modules/@img'))).map((p) => `@img/${p}`)]
    const natives: string[] = []
    for (const pkg of packages) {
      for (const file of await walk(join(root, 'node_modules', pkg))) {
        if (isNativeLibrary(file)) natives.push(relative(root, file).split('\\').join('/'))
      }
    }
    // onnxruntime-node alone ships its binding and runtime for several platforms.
    expect(natives.filter((f) => f.includes('onnxruntime_binding.node')).length).toBeGreaterThanOrEqual(3)
    expect(natives.some((f) => /libonnxruntime\.so/.test(f))).toBe(true)
    expect(natives.some((f) => f.startsWith('node_modules/@img/') && /\.(node|so[.\d]*)$/.test(f))).toBe(true)
    const unpacked = (file: string) => config.asarUnpack.some((pattern) => minimatch(file, pattern, { dot: true }))
    expect(natives.filter((f) => !unpacked(f))).toEqual([])
  })

  it('ships and unpacks the face detector’s WebAssembly runtime and the weights it reads', async () => {
    const config = await loadConfig()
    const unpacked = (file: string) => config.asarUnpack.some((pattern) => minimatch(file, pattern, { dot: true }))
    // electron-builder's `files`: the last pattern that matches decides; `!` leaves a file out
    const shipped = (file: string) =>
      config.files.reduce((kept, pattern) => (pattern.startsWith('!') ? (minimatch(file, pattern.slice(1), { dot: true }) ? false : kept) : kept), true)
    const wasm = (await readdir(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'))).filter((f) => f.endsWith('.wasm'))
    expect(wasm.length).toBeGreaterThanOrEqual(1)
    const needed = wasm.map((f) => `node_modules/@tensorflow/tfjs-backend-wasm/dist/${f}`)
    for (const stem of faceNetFiles) {
      const manifest = JSON.parse(await readFile(join(faceModelDir(), `${stem}-weights_manifest.json`), 'utf8')) as { paths: string[] }[]
      needed.push(`node_modules/@vladmandic/face-api/model/${stem}-weights_manifest.json`)
      for (const group of manifest) for (const path of group.paths) needed.push(`node_modules/@vladmandic/face-api/model/${path}`)
    }
    const runtime = ['node_modules/@vladmandic/face-api/dist/face-api.node-wasm.js', 'node_modules/@tensorflow/tfjs/dist/tf.node.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js']
    for (const file of [...needed, ...runtime]) {
      expect((await stat(join(root, file))).isFile(), file).toBe(true)
      expect(shipped(file), `${file} is shipped`).toBe(true)
    }
    expect(needed.filter((f) => !unpacked(f))).toEqual([])
    // what the exclusions are for: the nets the app does not run stay out
    expect(shipped('node_modules/@vladmandic/face-api/model/face_recognition_model.bin')).toBe(false)
    expect(shipped('node_modules/@tensorflow/tfjs/dist/tf.min.js')).toBe(false)
  })

  it('ships the built app only, the default model as a resource, and locks the fuses', async () => {
    const config = await loadConfig()
    expect(config.files).toContain('out/**/*')
    expect(config.files).toContain('package.json')
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'models/utkface-64', to: 'models/utkface-64' }))
    // the checkpoint importer's templates, where appPaths looks for them in an installed app
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'models/templates', to: 'templates' }))
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, onlyLoadAppFromAsar: true })
    // package.json points Electron at the bundle electron-vite writes.
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { main: string }
    expect(pkg.main.replace(/^\.\//, '')).toBe('out/main/index.js')
    expect((await stat(join(root, config.directories.buildResources))).isDirectory()).toBe(true)
  })
})
