// The real `stylemap` CLI as a child process, on real images and the real model folder.
import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage } from '../engine/images.js'
import { testModelDir } from '../engine/testing/models.js'
import { bombPng, exifRotatedJpeg, gradientPixels, gradientPng, maskPng, rectMask } from '../engine/testing/photos.js'
import { makeTestApp } from '../app/testing/harness.js'
import { absolutePaths, findPython } from './convert.js'
import { expectCleanFailure, runCli } from './testing/runCli.js'

let work: string
let model: string
let R: number

const cli = (...args: string[]) => runCli(args, { cwd: work, timeout: 120_000 })

beforeAll(async () => {
  model = await testModelDir()
  R = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')).resolution
  work = await mkdtemp(join(tmpdir(), 'stylemap-cli-test-'))
  // the original is a 300x200 (upright) photo stored sideways with EXIF orientation 6
  await writeFile(join(work, 'original.jpg'), await exifRotatedJpeg(300, 200))
  await writeFile(join(work, 'reference.png'), await gradientPng(260, 260, 9))
  await writeFile(join(work, 'mask.png'), await maskPng(rectMask(300, 200, 120, 60, 50, 40)))
  await writeFile(join(work, 'small-mask.png'), await maskPng(rectMask(R, R, R / 4, R / 4, R / 2, R / 2)))
  await writeFile(join(work, 'small.png'), await gradientPng(R, R, 2))
  await writeFile(join(work, 'small-ref.png'), await gradientPng(R, R, 7))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('stylemap CLI', () => {
  it('info --json shows the manifest, the provider in use and the probes', async () => {
    const result = await cli('info', '--model', model, '--json')
    expect(result.code).toBe(0)
    const info = JSON.parse(result.stdout)
    expect(info.model.resolution).toBe(R)
    expect(info.providers.inUse).toBe('cpu')
    expect(info.providers.probes.length).toBeGreaterThanOrEqual(2)
  })

  it('reconstruct writes a model-resolution PNG', async () => {
    const result = await cli('reconstruct', '--model', model, '--in', 'original.jpg', '--crop', '50,0,200', '--out', 'rec.png')
    expect(result.code, result.stderr).toBe(0)
    const meta = await sharp(join(work, 'rec.png')).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', R, R])
  })

  it('edit pastes back into the full-size upright photo; outside mask + feather nothing changes', async () => {
    const feather = 4
    const result = await cli(
      'edit',
      '--model',
      model,
      '--original',
      'original.jpg',
      '--crop',
      '50,0,200',
      '--reference',
      'reference.png',
      '--mask',
      'mask.png',
      '--strength',
      '1',
      '--feather',
      String(feather),
      '--out',
      'edited.png',
    )
    expect(result.code, result.stderr).toBe(0)
    const out = await sharp(join(work, 'edited.png')).raw().toBuffer({ resolveWithObject: true })
    expect([out.info.width, out.info.height]).toEqual([300, 200])
    const original = await decodeImage({ path: join(work, 'original.jpg') })
    let changedInside = 0
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 300; x++) {
        const i = (y * 300 + x) * 3
        const near = x >= 120 - feather && x < 170 + feather && y >= 60 - feather && y < 100 + feather
        const same =
          out.data[i] === original.pixels.data[i] && out.data[i + 1] === original.pixels.data[i + 1] && out.data[i + 2] === original.pixels.data[i + 2]
        if (!near) expect(same, `pixel ${x},${y}`).toBe(true)
        else if (!same) changedInside++
      }
    }
    expect(changedInside).toBeGreaterThan(50 * 40 * 0.5)
  })

  it('edit --offset changes the photo only under the mask and its feather, for positive and negative offsets', async () => {
    const feather = 4
    const original = await decodeImage({ path: join(work, 'original.jpg') })
    const outputs: Buffer[] = []
    for (const offset of ['0,0', '40,0', '-40,20']) {
      const out = `offset-${offset.replace(/[^\d-]/g, '_')}.png`
      // a negative offset as its own argument, as people type it
      const result = await cli('edit', '--model', model, '--original', 'original.jpg', '--crop', '50,0,200', '--reference', 'reference.png', '--mask', 'mask.png', '--offset', offset, '--feather', String(feather), '--out', out)
      expect(result.code, result.stderr).toBe(0)
      const pixels = await sharp(join(work, out)).raw().toBuffer()
      outputs.push(pixels)
      let changedInside = 0
      for (let y = 0; y < 200; y++) {
        for (let x = 0; x < 300; x++) {
          const i = (y * 300 + x) * 3
          const near = x >= 120 - feather && x < 170 + feather && y >= 60 - feather && y < 100 + feather
          const same = pixels[i] === original.pixels.data[i] && pixels[i + 1] === original.pixels.data[i + 1] && pixels[i + 2] === original.pixels.data[i + 2]
          if (!near && !same) throw new Error(`--offset ${offset}: pixel ${x},${y} outside the mask changed`)
          if (near && !same) changedInside++
        }
      }
      expect(changedInside, `--offset ${offset}`).toBeGreaterThan(50 * 40 * 0.5)
    }
    // the offset chooses where on the reference the content comes from
    expect(outputs[1].equals(outputs[0])).toBe(false)
    expect(outputs[2].equals(outputs[1])).toBe(false)
  })

  it('edit --detail photo (the default) adds fine detail; --detail none pastes the upsampled generator output', async () => {
    const base = ['edit', '--model', model, '--original', 'original.jpg', '--crop', '50,0,200', '--reference', 'reference.png', '--mask', 'mask.png']
    for (const [out, extra] of [
      ['detail-default.png', []],
      ['detail-photo.png', ['--detail', 'photo']],
      ['detail-none.png', ['--detail', 'none']],
    ] as const) {
      const result = await cli(...base, ...extra, '--out', out)
      expect(result.code, result.stderr).toBe(0)
    }
    const [byDefault, photo, none] = await Promise.all(['detail-default.png', 'detail-photo.png', 'detail-none.png'].map((f) => readFile(join(work, f))))
    expect(byDefault.equals(photo)).toBe(true)
    expect(photo.equals(none)).toBe(false)
    expectCleanFailure(await cli(...base, '--detail', 'sharp', '--out', 'bad.png'), 'E_BAD_ARGUMENT', 'unknown --detail')
  })

  it('render --project writes the same bytes as the app exports for that project', async () => {
    const app = await makeTestApp({ modelsDir: model, dir: join(work, 'app') })
    try {
      const photo = (await app.ok('image:import', { name: 'original.jpg', bytes: await readFile(join(work, 'original.jpg')) })).image
      const reference = (await app.ok('image:import', { name: 'reference.png', bytes: await readFile(join(work, 'reference.png')) })).image
      const mask = rectMask(150, 100, 60, 30, 25, 20)
      const document = {
        original: { imageId: photo.imageId, crop: { x: 50, y: 0, size: 200 } },
        references: [
          { id: 'a', imageId: reference.imageId, crop: { x: 10, y: 20, size: 200 }, color: '#ff5c7a', strength: 0.8, offset: { dx: -24, dy: 10 }, mask },
          { id: 'b', imageId: photo.imageId, crop: { x: 0, y: 0, size: 200 }, color: '#4cc9f0', visible: false, mask: rectMask(150, 100, 0, 0, 150, 100) },
        ],
        settings: { space: 'wplus' as const, feather: 6, fineStrength: 0.5 },
      }
      app.dialogs.answer('saveProject', join(work, 'saved.smproj'))
      await app.ok('project:save', { document })
      for (const [ext, format] of [['png', 'png'], ['jpg', 'jpeg']] as const) {
        app.dialogs.answer('saveImage', join(work, `app-export.${ext}`))
        await app.ok('file:export', { document, format, quality: 85 })
        const result = await cli('render', '--model', model, '--project', 'saved.smproj', '--quality', '85', '--out', `cli-render.${ext}`)
        expect(result.code, result.stderr).toBe(0)
        const [exported, rendered] = [await readFile(join(work, `app-export.${ext}`)), await readFile(join(work, `cli-render.${ext}`))]
        expect(rendered.equals(exported), `${ext}: render --project equals the app's export`).toBe(true)
      }
      // and it is an edit: it differs from the photo re-encoded
      const plain = await sharp(join(work, 'original.jpg')).rotate().png().toBuffer()
      expect((await readFile(join(work, 'cli-render.png'))).equals(plain)).toBe(false)
    } finally {
      await app.close()
    }
    // the project holds the photo's bytes, not its path: rendering onto the photo is refused all the same
    const photoBytes = await readFile(join(work, 'original.jpg'))
    const ontoPhoto = await cli('render', '--model', model, '--project', 'saved.smproj', '--out', 'original.jpg')
    expectCleanFailure(ontoPhoto, 'E_EXPORT_OVERWRITE', 'render onto the project photo')
    expect((await readFile(join(work, 'original.jpg'))).equals(photoBytes)).toBe(true)
    await writeFile(join(work, 'junk.smproj'), 'not a project')
    expectCleanFailure(await cli('render', '--model', model, '--project', 'junk.smproj', '--out', 'bad.png'), 'E_PROJECT_CORRUPT', 'junk project')
    expectCleanFailure(await cli('render', '--model', model, '--project', 'missing.smproj', '--out', 'bad.png'), 'E_PROJECT_IO', 'missing project')
    // a sparse file past the project size limit is refused unread, with the input-problem exit code
    await (await import('node:fs/promises')).truncate(join(work, 'junk.smproj'), 512 * 2 ** 20 + 1)
    const huge = await cli('render', '--model', model, '--project', 'junk.smproj', '--out', 'bad.png')
    expectCleanFailure(huge, 'E_PROJECT_TOO_LARGE', 'project over the limit')
    expect(huge.code).toBe(3)
    expect(existsSync(join(work, 'bad.png'))).toBe(false)
  })

  it('edit --raw returns the generator output; offsets and several references are accepted', async () => {
    const result = await cli(
      'edit',
      '--model',
      model,
      '--raw',
      '--original',
      'small.png',
      '--reference',
      'small-ref.png',
      '--mask',
      'small-mask.png',
      '--strength',
      '0.7',
      '--offset',
      '4,-4',
      '--reference',
      'reference.png',
      '--reference-crop',
      '0,0,64',
      '--mask',
      'small-mask.png',
      '--space',
      'w',
      '--out',
      'raw.png',
    )
    // --reference-crop is not allowed with --raw: a clean usage error
    expectCleanFailure(result, 'E_BAD_ARGUMENT', 'raw with reference crop')
    const ok = await cli(
      'edit',
      '--model',
      model,
      '--raw',
      '--original',
      'small.png',
      '--reference',
      'small-ref.png',
      '--mask',
      'small-mask.png',
      '--offset',
      '4,-4',
      '--reference',
      'small.png',
      '--mask',
      'small-mask.png',
      '--strength',
      '0.3',
      '--out',
      'raw.webp',
    )
    expect(ok.code, ok.stderr).toBe(0)
    const meta = await sharp(join(work, 'raw.webp')).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', R, R])
  })

  it('generate is reproducible per seed; morph writes an image', async () => {
    expect((await cli('generate', '--model', model, '--seed', '5', '--truncation', '0.7', '--out', 'g1.png')).code).toBe(0)
    expect((await cli('generate', '--model', model, '--seed', '5', '--truncation', '0.7', '--out', 'g2.png')).code).toBe(0)
    expect((await readFile(join(work, 'g1.png'))).equals(await readFile(join(work, 'g2.png')))).toBe(true)
    const morph = await cli('morph', '--model', model, '--a', 'original.jpg', '--b', 'reference.png', '--t', '0.5', '--out', 'morph.jpg')
    expect(morph.code, morph.stderr).toBe(0)
    expect((await sharp(join(work, 'morph.jpg')).metadata()).width).toBe(R)
  })

  it('bad input: a clear one-line error with a stable code, an exit code in 1..125, no output file', async () => {
    const good = await gradientPng(300, 200)
    const jpeg = await sharp(gradientPixels(300, 200), { raw: { width: 300, height: 200, channels: 3 } })
      .jpeg()
      .toBuffer()
    await writeFile(join(work, 'empty.jpg'), Buffer.alloc(0))
    await writeFile(join(work, 'notes.png'), 'not an image at all\n')
    await writeFile(join(work, 'corrupt.png'), Buffer.concat([good.subarray(0, 50), Buffer.alloc(300, 7), good.subarray(350)]))
    await writeFile(join(work, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1))
    await writeFile(join(work, 'bomb.png'), bombPng())
    await writeFile(join(work, 'wrong-mask.png'), await maskPng(rectMask(200, 300, 0, 0, 10, 10)))
    const brokenModel = join(work, 'broken-model')
    await rm(brokenModel, { recursive: true, force: true })
    await (await import('node:fs/promises')).mkdir(brokenModel)
    await copyFile(join(model, 'model.json'), join(brokenModel, 'model.json'))
    const edit = (original: string, mask = 'mask.png', extra: string[] = []): string[] => [
      'edit',
      '--model',
      model,
      '--original',
      original,
      '--reference',
      'reference.png',
      '--mask',
      mask,
      ...extra,
      '--out',
      'bad.png',
    ]
    const cases: [string, string[], string][] = [
      ['missing file', edit('missing.jpg'), 'E_IMAGE_MISSING'],
      ['zero-byte file', edit('empty.jpg'), 'E_IMAGE_EMPTY'],
      ['non-image file', edit('notes.png'), 'E_IMAGE_DECODE'],
      ['corrupt file', edit('corrupt.png'), 'E_IMAGE_DECODE'],
      ['truncated file', edit('truncated.jpg'), 'E_IMAGE_DECODE'],
      ['decompression bomb', edit('bomb.png'), 'E_IMAGE_TOO_LARGE'],
      ['mask of the wrong size', edit('original.jpg', 'wrong-mask.png'), 'E_MASK_SIZE'],
      ['crop outside the image', edit('original.jpg', 'mask.png', ['--crop', '200,0,200']), 'E_CROP_OUT_OF_BOUNDS'],
      ['broken model folder', ['reconstruct', '--model', brokenModel, '--in', 'original.jpg', '--out', 'bad.png'], 'E_MODEL_HASH'],
      ['missing model folder', ['reconstruct', '--model', join(work, 'nope'), '--in', 'original.jpg', '--out', 'bad.png'], 'E_MODEL_MISSING'],
      ['unknown option', ['reconstruct', '--model', model, '--inn', 'original.jpg', '--out', 'bad.png'], 'E_BAD_ARGUMENT'],
      [
        'mask before any reference',
        ['edit', '--model', model, '--original', 'original.jpg', '--mask', 'mask.png', '--reference', 'reference.png', '--out', 'bad.png'],
        'E_BAD_ARGUMENT',
      ],
      ['output over the input', ['reconstruct', '--model', model, '--in', 'small.png', '--out', 'small.png'], 'E_EXPORT_OVERWRITE'],
    ]
    for (const [what, args, code] of cases) {
      const result = await cli(...args)
      expectCleanFailure(result, code, what)
      expect(existsSync(join(work, 'bad.png')), `${what}: no output file`).toBe(false)
    }
  })

  it('bench --json reports the measured figures in the agreed shape', async () => {
    const result = await cli('bench', '--model', model, '--json')
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.executionProvider).toBe('cpu')
    expect(report.machine.cores).toBeGreaterThan(0)
    // the vector extensions beside the CPU's name (an array on Linux, where x86-64 always has SSE2)
    if (process.platform === 'linux' && process.arch === 'x64') expect(report.machine.simd).toContain('sse2')
    const row = report.results.at(-1)
    for (const key of ['encode_ms', 'decode_ms', 'edit_ms', 'edit_inference_ms', 'strength_ms', 'preview_ms', 'repaste_ms', 'first_preview_ms', 'prepare_ms', 'prepared_first_preview_ms', 'prepared_first_draft_ms', 'prepared_stroke_max_draft_ms', 'past_kept_first_draft_ms', 'stroke_during_prepare_ms', 'preview_24mp_ms', 'export_24mp_ms', 'reference_pipeline_ms', 'peak_rss_mb', 'edit3_ms', 'process_peak_rss_mb']) expect(row[key], key).toBeGreaterThan(0)
    expect(row.resolution).toBe(R)
    // an edit's time inside onnxruntime is part of its time
    expect(row.edit_inference_ms).toBeLessThanOrEqual(row.edit_ms)
    // the exact render after a stroke's draft is timed wherever a draft was drawn
    if (row.draft_psnr_db === null) expect(row.stroke_end_ms).toBeNull()
    else expect(row.stroke_end_ms).toBeGreaterThan(0)
    // drags of a strength and of the offset are timed as drafts wherever the model drafts strokes
    for (const key of ['strength_draft_ms', 'offset_draft_ms']) {
      if (row.draft_preview_ms === null) expect(row[key], key).toBeNull()
      else expect(row[key], key).toBeGreaterThan(0)
    }
    // the model's modulation and features graphs: edits recompute gamma/beta where they change
    expect(row.incremental).toBe(true)
    // the interactive path reuses cached encodings: far cheaper than the demo's per-interaction work
    expect(row.reference_pipeline_ms / row.edit_ms).toBeGreaterThan(5)
    // face detection on a 24 MP photo with one turned portrait in it
    expect(report.faces.faces_found).toBe(1)
    expect(report.faces.detect_24mp_ms).toBeGreaterThan(0)
  })
})

describe('convert delegation', () => {
  it('names the missing python packages and how to install them', () => {
    expect(() => findPython(['/nonexistent/python3', 'no-such-python-stylemap'])).toThrow(
      expect.objectContaining({ code: 'E_PYTHON_MISSING', message: expect.stringContaining('apt-get install python3-torch') }),
    )
  })
  it('passes paths to the converter as absolute paths (it runs in models/)', () => {
    expect(absolutePaths(['--checkpoint', 'a.pt', '--out=out/dir', '--id', 'x'], '/home/u')).toEqual([
      '--checkpoint',
      '/home/u/a.pt',
      '--out=/home/u/out/dir',
      '--id',
      'x',
    ])
  })
  it('stylemap convert passes the converter error through', async () => {
    const result = await cli('convert', '--checkpoint', 'missing.pt', '--out', 'converted')
    expect(result.code).toBeGreaterThanOrEqual(1)
    expect(result.code).toBeLessThanOrEqual(125)
    expect(result.stderr).toMatch(/E_(CONVERT_\w+|PYTHON_MISSING)/)
    expect(existsSync(join(work, 'converted'))).toBe(false)
  })
})
