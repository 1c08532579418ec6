// Export keeps what users care about: size, orientation, colour profile, metadata, their input.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from './engine.js'
import { cmykJpeg, exifRotatedJpeg, gradientPng, p3Png } from './testing/photos.js'

let engine: Engine
let work: string
beforeAll(async () => {
  engine = new Engine()
  work = await mkdtemp(join(tmpdir(), 'stylemap-export-test-'))
})
afterAll(async () => {
  await engine.dispose()
  await rm(work, { recursive: true, force: true })
})

/** An export of the photo with nothing painted: the photo itself, re-encoded at full size. */
function exportPhoto(imageId: string, output: { path: string; quality?: number; format?: 'png' | 'jpeg' | 'webp'; overwriteInput?: boolean }) {
  return engine.render({ edit: { original: { imageId }, layers: [] }, output: { kind: 'file', ...output } }).then((r) => r.file)
}

describe('render to a file, nothing painted', () => {
  it('keeps EXIF (orientation normalised to 1) and the upright size', async () => {
    const img = await engine.openImage({ bytes: await exifRotatedJpeg(120, 80) })
    for (const ext of ['jpg', 'png', 'webp']) {
      const path = join(work, `exif.${ext}`)
      const result = await exportPhoto(img.imageId, { path })
      const meta = await sharp(path).metadata()
      expect(result.format).toBe(ext === 'jpg' ? 'jpeg' : ext)
      expect([meta.width, meta.height]).toEqual([120, 80])
      expect(meta.orientation ?? 1).toBe(1)
      expect(meta.exif?.toString('latin1')).toContain('Stylemap test photographer')
    }
  })
  it('keeps an ICC profile', async () => {
    const img = await engine.openImage({ bytes: await p3Png(64, 48) })
    expect(img.hasIccProfile).toBe(true)
    const path = join(work, 'p3.png')
    await exportPhoto(img.imageId, { path })
    const meta = await sharp(path).metadata()
    expect(meta.icc).toBeDefined()
    const source = await sharp(await p3Png(64, 48)).metadata()
    expect(meta.icc?.equals(source.icc as Buffer)).toBe(true)
  })
  it('writes CMYK sources as RGB', async () => {
    const img = await engine.openImage({ bytes: await cmykJpeg(64, 48) })
    const path = join(work, 'cmyk.jpg')
    await exportPhoto(img.imageId, { path })
    const meta = await sharp(path).metadata()
    expect(meta.space).toBe('srgb')
    expect([meta.width, meta.height]).toEqual([64, 48])
  })
  it('quality changes JPEG and WebP size; the format follows the extension', async () => {
    const img = await engine.openImage({ bytes: await gradientPng(256, 256, 3) })
    const size = async (name: string, quality: number): Promise<number> => (await exportPhoto(img.imageId, { path: join(work, name), quality })).bytes
    expect(await size('q30.jpg', 30)).toBeLessThan(await size('q95.jpg', 95))
    expect(await size('q30.webp', 30)).toBeLessThan(await size('q95.webp', 95))
    const head = (await readFile(join(work, 'q30.webp'))).subarray(0, 12).toString('latin1')
    expect(head.startsWith('RIFF') && head.endsWith('WEBP')).toBe(true)
  })
  it('never overwrites an input unless asked, and leaves no temp files', async () => {
    const path = join(work, 'input.png')
    const bytes = await gradientPng(40, 40)
    await writeFile(path, bytes)
    const img = await engine.openImage({ path })
    await expect(exportPhoto(img.imageId, { path })).rejects.toMatchObject({ code: 'E_EXPORT_OVERWRITE' })
    expect((await readFile(path)).equals(bytes)).toBe(true)
    await exportPhoto(img.imageId, { path, overwriteInput: true, format: 'png' })
    expect((await readdir(work)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
  it('reports a missing folder as E_EXPORT_WRITE without leaving a file', async () => {
    const img = await engine.openImage({ bytes: await gradientPng(20, 20) })
    await expect(exportPhoto(img.imageId, { path: join(work, 'no', 'such', 'dir', 'out.png') })).rejects.toMatchObject({ code: 'E_EXPORT_WRITE' })
  })
  it('refuses a bad quality', async () => {
    const img = await engine.openImage({ bytes: await gradientPng(20, 20) })
    await expect(exportPhoto(img.imageId, { path: join(work, 'q.jpg'), quality: 0 })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})
