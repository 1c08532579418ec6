// Packs the app the way `npm run dist` does (electron-vite build, then electron-builder with
// electron-builder.yml) into an unpacked Linux folder, and checks what an installed app
// would hold: only the built app and its runtime dependencies in app.asar, the native
// libraries of onnxruntime-node and sharp (this platform's only) and the face detector's
// wasm and weights beside it, the fuses flipped, and the bundled model in resources/. Then
// the packaged engine host is started from that layout, runs the packaged model and finds a face,
// and the packaged import check process checks the packaged model.
//
// Electron's binary cannot be downloaded here, so electron-builder is given a stand-in
// Electron folder: a script carrying the fuse wire a stock Electron binary has.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type * as ElectronBuilder from 'electron-builder'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faces } from '../testing/utkface'
import { forkVerify, verifyInChild } from '../torch/verifyProcess'

const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)
const fuseSentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
// Electron's fuse order: runAsNode, cookieEncryption, nodeOptions, nodeCliInspect,
// asarIntegrity, onlyLoadAppFromAsar, v8Snapshot, fileProtocolExtraPrivileges.
const stockFuses = '10100001'

let work: string
let appDir: string
let resources: string

describe.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('packaged app (linux x64, unpacked)', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'stylemap-pack-'))
    const { build } = await import('electron-vite')
    await build({ root, configFile: join(root, 'electron.vite.config.ts'), logLevel: 'warn' })

    const fakeElectron = join(work, 'electron-dist')
    await mkdir(join(fakeElectron, 'resources'), { recursive: true })
    await writeFile(join(fakeElectron, 'electron'), `#!/bin/sh\nexit 0\n# ${fuseSentinel}\x01\x08${stockFuses}\n`)
    await chmod(join(fakeElectron, 'electron'), 0o755)
    await writeFile(join(fakeElectron, 'version'), 'v45.5.0')
    await writeFile(join(fakeElectron, 'LICENSE'), '')

    const builder = require('electron-builder') as typeof ElectronBuilder
    await builder.build({
      projectDir: root,
      targets: builder.Platform.LINUX.createTarget('dir', builder.Arch.x64),
      config: { electronDist: fakeElectron, electronVersion: '45.5.0', directories: { output: join(work, 'release'), buildResources: 'build' } },
      publish: 'never',
    })
    appDir = join(work, 'release', 'linux-unpacked')
    resources = join(appDir, 'resources')
  }, 300_000)

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('puts only the built app and runtime dependencies into app.asar', () => {
    const asar = require('@electron/asar') as { listPackage: (file: string, options: { isPack: boolean }) => string[] }
    const entries = asar.listPackage(join(resources, 'app.asar'), { isPack: false }).map((e) => e.split('\\').join('/'))
    const topLevel = new Set(entries.map((e) => e.split('/')[1]))
    expect([...topLevel].sort()).toEqual(['node_modules', 'out', 'package.json'])
    for (const file of ['/out/main/index.js', '/out/main/host.js', '/out/main/verifyHost.js', '/out/preload/index.cjs', '/out/renderer/index.html'])
      expect(entries).toContain(file)
    const modules = new Set(
      entries
        .filter((e) => e.startsWith('/node_modules/'))
        .map((e) =>
          e
            .split('/')
            .slice(2, e.split('/')[2]!.startsWith('@') ? 4 : 3)
            .join('/'),
        ),
    )
    for (const needed of ['onnxruntime-node', 'sharp', 'zod']) expect(modules).toContain(needed)
    // development tools stay out
    for (const devOnly of ['electron', 'vite', 'vitest', 'typescript', 'react', 'tsx', 'esbuild', 'electron-builder']) expect(modules).not.toContain(devOnly)
    expect(entries.some((e) => e.endsWith('.map'))).toBe(false)
  })

  it('unpacks the native libraries, for this platform only', () => {
    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules')
    expect(existsSync(join(unpacked, 'onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'))).toBe(true)
    expect(existsSync(join(unpacked, 'onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'))).toBe(true)
    expect(existsSync(join(unpacked, 'onnxruntime-node/bin/napi-v6/linux/arm64'))).toBe(false)
    expect(existsSync(join(unpacked, 'onnxruntime-node/bin/napi-v6/win32'))).toBe(false)
    expect(existsSync(join(unpacked, 'onnxruntime-node/bin/napi-v6/darwin'))).toBe(false)
    expect(existsSync(join(unpacked, '@img/sharp-linux-x64/lib/sharp-linux-x64.node'))).toBe(true)
    // the face detector's WebAssembly runtime and weights
    expect(existsSync(join(unpacked, '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))).toBe(true)
    expect(existsSync(join(unpacked, '@vladmandic/face-api/model/tiny_face_detector_model.bin'))).toBe(true)
    expect(existsSync(join(unpacked, '@vladmandic/face-api/model/face_landmark_68_model.bin'))).toBe(true)
  })

  it('flips the fuses in the app binary', async () => {
    const binary = await readFile(join(appDir, 'stylemap-studio'), 'latin1')
    const at = binary.indexOf(fuseSentinel)
    expect(at).toBeGreaterThan(0)
    const wire = binary.slice(at + fuseSentinel.length + 2, at + fuseSentinel.length + 10)
    // runAsNode off, cookie encryption on, NODE_OPTIONS off, --inspect off, asar integrity on, asar only on, file:// privileges off
    expect(wire).toBe('01001100')
  })

  it('ships the bundled default model and the window icon as resources', async () => {
    expect(existsSync(join(root, 'models', 'utkface-64', 'model.json')), 'models/utkface-64 (the bundled default model) is missing from the checkout').toBe(
      true,
    )
    const manifest = JSON.parse(await readFile(join(resources, 'models', 'utkface-64', 'model.json'), 'utf8')) as { id: string; files: Record<string, string> }
    expect(manifest.id).toBe('utkface-64')
    for (const file of Object.values(manifest.files)) expect(existsSync(join(resources, 'models', 'utkface-64', file)), file).toBe(true)
    expect(existsSync(join(resources, 'icon.png'))).toBe(true)
    // what the checkpoint importer reads in an installed app: every template and the face templates
    const index = JSON.parse(await readFile(join(resources, 'templates', 'index.json'), 'utf8')) as { templates: Record<string, unknown> }
    for (const name of Object.keys(index.templates)) {
      expect(existsSync(join(resources, 'templates', name, 'template.json')), name).toBe(true)
      // the versions it replaced: Models › Update brings folders imported with them up to date
      expect(existsSync(join(resources, 'templates', name, 'history.json')), name).toBe(true)
    }
    expect(existsSync(join(resources, 'templates', 'alignments.json'))).toBe(true)
  })

  /** What Electron sees through app.asar + app.asar.unpacked, laid out as plain files. */
  let extracted: string | null = null
  function extractApp(): string {
    if (extracted) return extracted
    extracted = join(work, 'extracted')
    const asar = require('@electron/asar') as { extractAll: (archive: string, dest: string) => void }
    asar.extractAll(join(resources, 'app.asar'), extracted)
    return extracted
  }

  it('runs the packaged engine host on the packaged model', async () => {
    expect(existsSync(join(resources, 'models', 'utkface-64', 'model.json')), 'the package holds no bundled model').toBe(true)
    const extracted = extractApp()
    const host = fork(join(extracted, 'out', 'main', 'host.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: work })
    const replies = new Map<number, { ok: boolean; value?: unknown; error?: { code: string; message: string } }>()
    const waiting = new Map<number, () => void>()
    host.on('message', (m: { kind: string; id?: number; ok?: boolean; value?: unknown; error?: { code: string; message: string } }) => {
      if (m.kind !== 'result' || m.id === undefined) return
      replies.set(m.id, { ok: m.ok!, value: m.value, error: m.error })
      waiting.get(m.id)?.()
    })
    let nextId = 1
    const call = (method: string, ...params: unknown[]) =>
      new Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>((done) => {
        const id = nextId++
        waiting.set(id, () => done(replies.get(id)!))
        host.send({ kind: 'request', id, method, params })
      })
    try {
      const loaded = await call('loadModel', join(resources, 'models', 'utkface-64'))
      expect(loaded.error).toBeUndefined()
      expect(loaded.value).toMatchObject({ model: { id: 'utkface-64', resolution: 64 }, providers: { inUse: 'cpu' } })
      const [face] = faces(1, 7)
      const opened = await call('openImage', { bytes: face!.bytes, name: face!.name })
      expect(opened.ok).toBe(true)
      const imageId = (opened.value as { imageId: string }).imageId
      // the face's reconstruction: an edit with no layers, the generator's output
      const generated = await call('render', { edit: { original: { imageId }, layers: [] }, output: { kind: 'generated' } })
      expect(generated.error).toBeUndefined()
      const image = (generated.value as { generated: { width: number; height: number; data: Uint8Array } }).generated
      expect([image.width, image.height]).toEqual([64, 64])
      expect(image.data.length).toBeGreaterThanOrEqual(64 * 64 * 3)
      // the face detector, from the packaged tfjs and weights: a 200 px face in a grey photo
      const [face200] = faces(1, 3, 'utkface200')
      const photo = await sharp({ create: { width: 480, height: 400, channels: 3, background: { r: 128, g: 128, b: 128 } } })
        .composite([{ input: face200!.bytes, left: 150, top: 110 }])
        .png()
        .toBuffer()
      const openedPhoto = await call('openImage', { bytes: photo, name: 'face.png' })
      expect(openedPhoto.ok).toBe(true)
      const found = await call('detectFaces', (openedPhoto.value as { imageId: string }).imageId)
      expect(found.error).toBeUndefined()
      const detected = (found.value as { faces: { box: number[]; landmarks: number[][] }[] }).faces
      expect(detected).toHaveLength(1)
      const [eyeX, eyeY] = detected[0]!.landmarks[0]!
      expect(eyeX).toBeGreaterThan(150)
      expect(eyeX).toBeLessThan(350)
      expect(eyeY).toBeGreaterThan(110)
      expect(eyeY).toBeLessThan(310)
    } finally {
      host.kill()
    }
  })

  it('runs the packaged import check process on the packaged model (Electron starts the same script with utilityProcess)', async () => {
    const check = await verifyInChild(join(resources, 'models', 'utkface-64'), () => forkVerify(join(extractApp(), 'out', 'main', 'verifyHost.js')))
    expect(check.check.maxRelativeError).toBeLessThanOrEqual(1e-4)
    expect(check.peakRssMiB).toBeGreaterThan(0)
  }, 120_000)
})
