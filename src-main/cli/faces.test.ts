// Face framing from the command line: `faces`, `align` and --face/--reference-face, on real
// portraits turned and scaled into larger photos.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage } from '../engine/images.js'
import { makeTestApp } from '../app/testing/harness.js'
import { defaultModelDir } from '../engine/testing/models.js'
import { gradientPng, maskPng, placedPoint, type Placement, rectMask, tiltedFacesPhoto } from '../engine/testing/photos.js'
import { sharedDataDir } from '../testing/utkface.js'
import { expectCleanFailure, runCli } from './testing/runCli.js'

let work: string
const cli = (...args: string[]) => runCli(args, { cwd: work, timeout: 120_000 })
const portrait = join(sharedDataDir, 'photos', 'Hepburn01.png')
const portraitSize = 512
// turned 30 degrees clockwise, 300 px, in a 900 x 700 photo; its mouth is near (490, 383)
const tilted: Placement = { cx: 520, cy: 330, size: 300, degrees: 30 }

interface ListedFace {
  box: number[]
  score: number
  landmarks: [number, number][]
}

async function listFaces(file: string): Promise<ListedFace[]> {
  const result = await cli('faces', '--in', file, '--json')
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout).faces
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2
  return 10 * Math.log10((255 * 255) / (sum / a.length))
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stylemap-cli-faces-'))
  const face = await readFile(portrait)
  await writeFile(join(work, 'upright.png'), await tiltedFacesPhoto([{ image: face, at: { ...tilted, degrees: 0 } }], 900, 700))
  await writeFile(join(work, 'tilted.png'), await tiltedFacesPhoto([{ image: face, at: tilted }], 900, 700))
  await writeFile(
    join(work, 'two.png'),
    await tiltedFacesPhoto(
      [
        { image: face, at: { cx: 250, cy: 300, size: 360, degrees: -20 } },
        { image: await readFile(join(sharedDataDir, 'photos', 'Einstein01.png')), at: { cx: 720, cy: 330, size: 220, degrees: 15 } },
      ],
      1000,
      640,
    ),
  )
  await writeFile(join(work, 'no-face.png'), await gradientPng(400, 300, 5))
  await writeFile(join(work, 'mouth.png'), await maskPng(rectMask(900, 700, 455, 360, 70, 50)))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('stylemap faces', () => {
  it('prints the face of a turned portrait, its landmarks where the turn puts the upright ones', async () => {
    const [upright] = await listFaces('upright.png')
    const found = await listFaces('tilted.png')
    expect(found).toHaveLength(1)
    const [face] = found
    expect(Object.keys(face).sort()).toEqual(['box', 'landmarks', 'score'])
    expect(face.landmarks).toHaveLength(5)
    // the upright photo's landmarks, turned about the face's centre by 30 degrees
    const eyes = Math.hypot(upright.landmarks[1][0] - upright.landmarks[0][0], upright.landmarks[1][1] - upright.landmarks[0][1])
    const inFace = (p: [number, number]): [number, number] => [((p[0] - tilted.cx) * portraitSize) / tilted.size + portraitSize / 2, ((p[1] - tilted.cy) * portraitSize) / tilted.size + portraitSize / 2]
    for (const [i, p] of upright.landmarks.entries()) {
      const expected = placedPoint(tilted, portraitSize, inFace(p))
      const error = Math.hypot(face.landmarks[i][0] - expected[0], face.landmarks[i][1] - expected[1])
      expect(error / eyes, `landmark ${i}`).toBeLessThan(0.1)
    }
    // the eyes are turned as the face is
    const roll = (Math.atan2(face.landmarks[1][1] - face.landmarks[0][1], face.landmarks[1][0] - face.landmarks[0][0]) * 180) / Math.PI
    expect(roll).toBeGreaterThan(25)
    expect(roll).toBeLessThan(35)
  })

  it('lists several faces largest first, and says how to frame each', async () => {
    const found = await listFaces('two.png')
    expect(found).toHaveLength(2)
    expect(found[0].box[2]).toBeGreaterThan(found[1].box[2])
    expect(found[0].box[0]).toBeLessThan(500)
    const text = await cli('faces', '--in', 'two.png')
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^face 0: box .* frame -?\d+,-?\d+,\d+,-?[\d.]+$/m)
    expect(text.stdout).toMatch(/^face 1: /m)
  })
})

describe('framing by face', () => {
  it('align writes the same view of the face whether the photo is turned or not', async () => {
    for (const name of ['upright', 'tilted']) expect((await cli('align', '--in', `${name}.png`, '--out', `${name}-aligned.png`)).code).toBe(0)
    const upright = await decodeImage({ path: join(work, 'upright-aligned.png') })
    const turned = await decodeImage({ path: join(work, 'tilted-aligned.png') })
    const R = JSON.parse(await readFile(join(defaultModelDir, 'model.json'), 'utf8')).resolution
    expect([turned.info.width, turned.info.height]).toEqual([R, R])
    expect(psnr(upright.pixels.data, turned.pixels.data)).toBeGreaterThan(24)
  })

  it('reconstruct --face writes the reconstruction of the aligned face; --crop takes a turned frame too', async () => {
    expect((await cli('reconstruct', '--in', 'tilted.png', '--face', '0', '--out', 'rec.png')).code).toBe(0)
    const meta = await sharp(join(work, 'rec.png')).metadata()
    expect(meta.width).toBe(meta.height)
    const frame = await cli('reconstruct', '--in', 'tilted.png', '--crop', '380,190,280,30', '--out', 'rec-frame.png')
    expect(frame.code, frame.stderr).toBe(0)
  })

  it('edit --face/--reference-face changes the turned photo under the mask only', async () => {
    const feather = 6
    const result = await cli('edit', '--original', 'tilted.png', '--face', '0', '--reference', 'two.png', '--reference-face', '1', '--mask', 'mouth.png', '--feather', String(feather), '--out', 'edited.png')
    expect(result.code, result.stderr).toBe(0)
    const before = await decodeImage({ path: join(work, 'tilted.png') })
    const after = await decodeImage({ path: join(work, 'edited.png') })
    const near = (x: number, y: number) => x >= 455 - feather - 2 && x < 525 + feather + 2 && y >= 360 - feather - 2 && y < 410 + feather + 2
    let changedOutside = 0
    let changedInside = 0
    const { width, height } = before.info
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3
        const same = before.pixels.data[i] === after.pixels.data[i] && before.pixels.data[i + 1] === after.pixels.data[i + 1] && before.pixels.data[i + 2] === after.pixels.data[i + 2]
        if (!near(x, y) && !same) changedOutside++
        if (x >= 455 && x < 525 && y >= 360 && y < 410 && !same) changedInside++
      }
    }
    expect(changedOutside).toBe(0)
    expect(changedInside).toBeGreaterThan(70 * 50 * 0.5)
  })

  it('render --project --face/--reference-face writes what the app exports with the faces framed', async () => {
    const app = await makeTestApp({ modelsDir: defaultModelDir, dir: join(work, 'app') })
    try {
      const photo = (await app.ok('image:import', { name: 'tilted.png', bytes: await readFile(join(work, 'tilted.png')) })).image
      const reference = (await app.ok('image:import', { name: 'two.png', bytes: await readFile(join(work, 'two.png')) })).image
      const mask = rectMask(450, 350, 228, 180, 35, 25)
      const plain = {
        original: { imageId: photo.imageId, crop: { x: 100, y: 0, size: 700 } },
        references: [{ id: 'a', imageId: reference.imageId, crop: { x: 0, y: 0, size: 640 }, color: '#ff5c7a', mask }],
        settings: { space: 'wplus' as const, feather: 6 },
      }
      app.dialogs.answer('saveProject', join(work, 'plain.smproj'))
      await app.ok('project:save', { document: plain })
      // the same document framed on the faces the app finds: the photo's face 0, the reference's face 1
      const photoFaces = (await app.ok('image:faces', { imageId: photo.imageId })).faces
      const referenceFaces = (await app.ok('image:faces', { imageId: reference.imageId })).faces
      expect(photoFaces[0].crop?.angle).toBeGreaterThan(20)
      const framed = { ...plain, original: { ...plain.original, crop: photoFaces[0].crop! }, references: [{ ...plain.references[0], crop: referenceFaces[1].crop! }] }
      app.dialogs.answer('saveImage', join(work, 'app-framed.png'))
      await app.ok('file:export', { document: framed, format: 'png', quality: 92 })
      const result = await cli('render', '--project', 'plain.smproj', '--face', '0', '--reference-face', '1', '--out', 'cli-framed.png')
      expect(result.code, result.stderr).toBe(0)
      expect((await readFile(join(work, 'cli-framed.png'))).equals(await readFile(join(work, 'app-framed.png')))).toBe(true)
      const unframed = await cli('render', '--project', 'plain.smproj', '--out', 'cli-plain.png')
      expect(unframed.code, unframed.stderr).toBe(0)
      expect((await readFile(join(work, 'cli-plain.png'))).equals(await readFile(join(work, 'cli-framed.png')))).toBe(false)
    } finally {
      await app.close()
    }
  })

  it('morph takes --a-face and --b-face', async () => {
    const result = await cli('morph', '--a', 'tilted.png', '--a-face', '0', '--b', 'two.png', '--b-face', '1', '--t', '0.5', '--out', 'morph.png')
    expect(result.code, result.stderr).toBe(0)
  })
})

describe('bad input', () => {
  it('a photo without a face: E_NO_FACE; a face past the last: E_BAD_ARGUMENT; --crop with --face: E_BAD_ARGUMENT', async () => {
    const cases: [string, string[], string][] = [
      ['faces on a photo without faces', ['faces', '--in', 'no-face.png', '--json'], 'E_NO_FACE'],
      ['align on a photo without faces', ['align', '--in', 'no-face.png', '--out', 'x.png'], 'E_NO_FACE'],
      ['reconstruct --face without faces', ['reconstruct', '--in', 'no-face.png', '--face', '0', '--out', 'x.png'], 'E_NO_FACE'],
      ['--face past the last face', ['reconstruct', '--in', 'two.png', '--face', '2', '--out', 'x.png'], 'E_BAD_ARGUMENT'],
      ['--reference-face past the last face', ['edit', '--original', 'tilted.png', '--reference', 'tilted.png', '--reference-face', '1', '--mask', 'mouth.png', '--out', 'x.png'], 'E_BAD_ARGUMENT'],
      ['--crop and --face', ['reconstruct', '--in', 'two.png', '--face', '0', '--crop', '0,0,100', '--out', 'x.png'], 'E_BAD_ARGUMENT'],
      ['a negative face', ['align', '--in', 'two.png', '--face', '-1', '--out', 'x.png'], 'E_BAD_ARGUMENT'],
      ['a frame whose centre is off the photo', ['reconstruct', '--in', 'two.png', '--crop', '1200,0,100,10', '--out', 'x.png'], 'E_CROP_OUT_OF_BOUNDS'],
    ]
    for (const [what, args, code] of cases) {
      const result = await cli(...args)
      expectCleanFailure(result, code, what)
    }
    await expect(readFile(join(work, 'x.png'))).rejects.toThrow()
  })
})
