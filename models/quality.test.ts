// The bundled default model: its size budget (needs only the model folder, so it always
// runs), then measured through the engine the app uses on UTKFace faces that were held out
// of training: reconstruction PSNR and the W-space local edit the issue defines (right half
// of the 8x8 stylemap taken from a second face).
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { EditLayer, Mask, RawImage } from '../src-main/engine/api.js'
import { Engine } from '../src-main/engine/engine.js'
import { facesMissing, heldOutFaces } from '../src-main/testing/utkface.js'

// STYLEMAP_QUALITY_MODEL measures a candidate folder before it replaces the bundled one
const modelDir = process.env.STYLEMAP_QUALITY_MODEL ?? path.join(import.meta.dirname, 'utkface-64')
const count = 200
const noFaces = facesMissing()
// without the data set there is nothing to measure on: say so instead of passing quietly
if (noFaces) console.log(`default model quality on held-out faces: skipped. ${noFaces}`)

function toUnit(v: number): number {
  return v / 127.5 - 1
}

/** Mean squared error in the model's [-1, 1] units over pixels where `select(x)` holds. */
function mse(a: RawImage, b: RawImage, select: (x: number) => boolean): number {
  let sum = 0
  let n = 0
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!select(x)) continue
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * a.channels + c
        const d = toUnit(a.data[i]) - toUnit(b.data[(y * b.width + x) * b.channels + c])
        sum += d * d
        n++
      }
    }
  }
  return sum / n
}

describe('default model folder', () => {
  const manifest = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8'))

  it('is marked as the default model', () => {
    expect(manifest.default).toBe(true)
  })

  it('ships within the 40 MB budget', () => {
    let bytes = 0
    for (const file of Object.values(manifest.files as Record<string, string>)) {
      expect(existsSync(path.join(modelDir, file))).toBe(true)
      bytes += readFileSync(path.join(modelDir, file)).byteLength
    }
    expect(bytes).toBeLessThanOrEqual(40e6)
  })
})

describe.skipIf(noFaces != null)('default model quality on held-out faces', () => {
  const engine = new Engine()
  const faces: { imageId: string; size: number; pixels: RawImage }[] = []
  /** The generator's output for a face (the whole face is the crop), edited by `layers`. */
  const generated = async (face: { imageId: string; size: number }, layers: EditLayer[] = [], space?: 'w' | 'wplus') =>
    (await engine.render({ edit: { original: { imageId: face.imageId, crop: { x: 0, y: 0, size: face.size } }, layers, space }, output: { kind: 'generated' } })).generated
  let resolution = 0

  beforeAll(async () => {
    const loaded = await engine.loadModel(modelDir)
    resolution = loaded.model.resolution
    for (const face of heldOutFaces(count)) {
      const info = await engine.openImage({ bytes: face.bytes, name: face.name })
      faces.push({ imageId: info.imageId, size: info.width, pixels: await engine.getPixels(info.imageId) })
    }
  }, 300_000)

  it('reconstructs held-out faces at 22 dB PSNR or better on average', async () => {
    let total = 0
    for (const face of faces) {
      const out = await generated(face)
      const err = mse(out, face.pixels, () => true)
      total += 10 * Math.log10(4 / err)
    }
    const psnr = total / faces.length
    console.log(`held-out reconstruction: ${faces.length} faces, mean PSNR ${psnr.toFixed(2)} dB`)
    expect(psnr).toBeGreaterThanOrEqual(22)
  }, 300_000)

  it('a W-space local edit is nearer the reference inside the mask and keeps the original outside', async () => {
    const mask: Mask = { width: resolution, height: resolution, data: new Uint8Array(resolution * resolution) }
    for (let y = 0; y < resolution; y++) mask.data.fill(255, y * resolution + resolution / 2, (y + 1) * resolution)
    let srcOutside = 0
    let refInside = 0
    let srcInside = 0
    const pairs = faces.length - 1
    for (let i = 0; i < pairs; i++) {
      const src = faces[i]
      const ref = faces[i + 1]
      // the faces are at model resolution, so the photo-space mask is the model grid
      const out = await generated(src, [{ reference: { imageId: ref.imageId, crop: { x: 0, y: 0, size: ref.size } }, mask, strength: 1 }], 'w')
      const inside = (x: number) => x >= resolution / 2
      srcOutside += mse(out, src.pixels, (x) => !inside(x))
      refInside += mse(out, ref.pixels, inside)
      srcInside += mse(out, src.pixels, inside)
    }
    const report = { mseSrcOutside: srcOutside / pairs, mseRefInside: refInside / pairs, mseSrcInside: srcInside / pairs }
    console.log(`held-out W local edit over ${pairs} pairs: ${JSON.stringify(report)}`)
    expect(report.mseRefInside).toBeLessThan(report.mseSrcInside)
  }, 300_000)

  it('random samples look like faces, not noise (the mapping network is trained)', async () => {
    // Each random sample's nearest held-out face must be much nearer than the nearest face
    // to the same pixels shuffled (same colours, no layout). Colour noise from an untrained
    // mapping network scores about 1.03 here, the adversarially trained model about 0.65.
    const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    const nearest = (img: RawImage) => Math.min(...faces.map((f) => mse(img, f.pixels, () => true)))
    const ratios: number[] = []
    for (let seed = 1; seed <= 16; seed++) {
      const sample = (await engine.random({ seed })).image
      const shuffled = { ...sample, data: new Uint8Array(sample.data) }
      const next = rng(seed)
      const n = sample.width * sample.height
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        for (let c = 0; c < 3; c++) {
          const a = i * sample.channels + c
          const b = j * sample.channels + c
          ;[shuffled.data[a], shuffled.data[b]] = [shuffled.data[b], shuffled.data[a]]
        }
      }
      ratios.push(nearest(sample) / nearest(shuffled))
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length
    console.log(`random samples: nearest-face MSE / shuffled nearest-face MSE, mean over 16 seeds ${mean.toFixed(3)}`)
    expect(mean).toBeLessThan(0.8)
  }, 300_000)
})
