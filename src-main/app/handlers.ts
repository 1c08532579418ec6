// The IPC handlers: one function per channel of the contract. Plain Node; everything
// Electron-only (dialogs, the recent-documents hook) comes in through `deps`, so Electron
// main, the e2e bridge and the tests run exactly this code.
import { readFile, stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import type { EditLayer as EngineLayer, GeneratedImage, PasteBackRequest, RawImage } from '../engine/api'
import type { HandlerMap } from '../../src-shared/ipc'
import {
  appErrorCodes,
  type Channels,
  type Edit,
  type ImageInfo,
  type OpenedProject,
  type ProjectDocument,
} from '../../src-shared/contract'
import { writeFileAtomic } from './atomicWrite'
import { Autosave } from './autosave'
import type { AppDeps, ImageFormat } from './deps'
import { AppFailure, toAppError } from './dispatch'
import { ImageStore } from './imageStore'
import { LatestWins } from './latestWins'
import { isEmptyMask, sampleMaskCrop, shiftMask, unionMasks } from './maskSampling'
import { ModelRegistry } from './models'
import { rawToPng } from './pixels'
import { parseProject, projectExtension, remapImageIds, serializeProject, type ParsedProject } from './projectFile'
import { toRecentItem } from './recent'

/** The app layer as its host sees it. */
export interface App {
  handlers: HandlerMap<Channels>
  /** Call on a clean exit (after the user saved or declined to): drops the recovery copy. */
  cleanExit(): Promise<void>
  /** Call after the engine process was restarted: hands it the open images and the model again. */
  engineRestarted(): Promise<void>
}

const defaultMaxInputPixels = 100_000_000
const defaultMaxInputBytes = 512 * 1024 * 1024
/** Paste-back masks are sampled at the crop's size up to this, then scaled by the engine. */
const pasteMaskLimit = 1024
/** zlib level of the live preview's PNGs: 0 (stored) costs ~3 ms on 1024 px against ~45 ms at level 2. */
const livePreviewPngLevel = 0
/** Engine codes meaning "I lost state" (it restarted): reopen the images and try once more. */
const lostStateCodes = new Set(['E_IMAGE_UNKNOWN', 'E_STYLEMAP_UNKNOWN', 'E_EDIT_UNKNOWN', 'E_MODEL_NOT_LOADED'])

const mimeExtension = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const
const formatOfMime = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' } as const
const formatExtension: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' }

function stem(name: string): string {
  const base = basename(name)
  const ext = extname(base)
  return (ext ? base.slice(0, -ext.length) : base) || 'untitled'
}

function codeOf(error: unknown): string {
  return toAppError(error).code
}

interface RenderedEdit {
  generated: GeneratedImage
  /** The engine's full-resolution paste-back result (close it when done). */
  resultId: string
}

export function createApp(deps: AppDeps): App {
  const { engine, dialogs, recent } = deps
  const maxInputBytes = deps.maxInputBytes ?? defaultMaxInputBytes
  const images = new ImageStore(engine)
  const models = new ModelRegistry(engine, deps.bundledModelsDir, deps.userDataDir)
  const autosave = new Autosave(deps.userDataDir)
  const previews = new LatestWins<{ crop: Edit['original']['crop']; pasted: Awaited<ReturnType<typeof rawToPng>>; raw: Awaited<ReturnType<typeof rawToPng>>; ms: number }>()
  let projectPath: string | null = null

  /** Run engine work with a model loaded; if the engine lost its state (restart), restore it and retry once. */
  async function withEngine<T>(work: () => Promise<T>, needsModel = true): Promise<T> {
    if (needsModel) await models.ensureLoaded()
    try {
      return await work()
    } catch (error) {
      if (!lostStateCodes.has(codeOf(error))) throw error
      // the engine evicted or lost images (restart, memory budget): hand them over again
      await images.reopenAll()
      if (needsModel) await models.ensureLoaded()
      return work()
    }
  }

  async function readUserFile(path: string, kind: 'image' | 'project'): Promise<Uint8Array> {
    try {
      const info = await stat(path)
      if (kind === 'image' && info.size > maxInputBytes) {
        throw new AppFailure(appErrorCodes.imageTooLarge, `${basename(path)} is ${(info.size / 2 ** 20).toFixed(0)} MiB; the limit is ${maxInputBytes / 2 ** 20} MiB.`)
      }
      return await readFile(path)
    } catch (error) {
      if (error instanceof AppFailure) throw error
      const code = kind === 'image' ? 'E_IMAGE_MISSING' : appErrorCodes.projectIo
      throw new AppFailure(code, `${basename(path)} cannot be read: ${(error as Error).message}`, { cause: error })
    }
  }

  async function addImageBytes(name: string, bytes: Uint8Array): Promise<ImageInfo> {
    if (bytes.length > maxInputBytes) {
      throw new AppFailure(appErrorCodes.imageTooLarge, `${name} is ${(bytes.length / 2 ** 20).toFixed(0)} MiB; the limit is ${maxInputBytes / 2 ** 20} MiB.`)
    }
    return images.add(name, bytes)
  }

  async function openImageFile(path: string, remember: boolean): Promise<ImageInfo> {
    const image = await addImageBytes(basename(path), await readUserFile(path, 'image'))
    if (remember) await recent.add('image', path)
    return image
  }

  /** The engine's layers for an edit (masks moved from the photo onto the model grid), and the paste-back mask. */
  async function engineEdit(edit: Edit, resolution: number, strengthOverride?: number) {
    const original = images.get(edit.original.imageId)
    const { width, height } = original.info
    const { crop } = edit.original
    const pasteSize = Math.min(crop.size, pasteMaskLimit)
    const originalMap = await engine.encode({ imageId: edit.original.imageId, crop })
    const layers: EngineLayer[] = []
    const pasteMasks = []
    for (const layer of edit.layers) {
      images.get(layer.reference.imageId)
      const strength = strengthOverride ?? layer.strength
      const onModelGrid = sampleMaskCrop(layer.mask, width, height, crop, resolution)
      if (strength === 0 || isEmptyMask(onModelGrid)) continue
      const referenceMap = await engine.encode(layer.reference)
      // the mask is painted where the content lands; the engine wants where it comes from
      const dx = Math.round((layer.offset.dx * resolution) / crop.size)
      const dy = Math.round((layer.offset.dy * resolution) / crop.size)
      layers.push({ reference: referenceMap.stylemapId, mask: shiftMask(onModelGrid, -dx, -dy), strength, offset: { dx, dy } })
      pasteMasks.push(sampleMaskCrop(layer.mask, width, height, crop, pasteSize))
    }
    const levelStrength =
      edit.coarseStrength !== undefined || edit.fineStrength !== undefined ? { coarse: edit.coarseStrength ?? 1, fine: edit.fineStrength ?? 1 } : undefined
    return {
      request: { original: originalMap.stylemapId, layers, space: edit.space, levelStrength },
      pasteMask: unionMasks(pasteMasks, pasteSize, pasteSize),
    }
  }

  async function spaceFor(edit: Edit): Promise<Edit> {
    const loaded = await models.ensureLoaded()
    // a model without resizer/synthesis can only mix in W
    return edit.space === 'wplus' && !loaded.model.features.wplus ? { ...edit, space: 'w' } : edit
  }

  /** The generator's output for an edit and the paste-back that puts it into the photo (call inside withEngine). */
  async function generateEdit(requested: Edit): Promise<{ generated: GeneratedImage; paste: PasteBackRequest }> {
    const edit = await spaceFor(requested)
    const { model } = await models.ensureLoaded()
    const { request, pasteMask } = await engineEdit(edit, model.resolution)
    const generated = await engine.edit(request)
    return {
      generated,
      paste: { imageId: edit.original.imageId, crop: edit.original.crop, generated: generated.image, mask: pasteMask, feather: edit.feather },
    }
  }

  /** The full-resolution edited photo, held by the engine (for export). */
  async function renderEdit(requested: Edit): Promise<RenderedEdit> {
    return withEngine(async () => {
      const { generated, paste } = await generateEdit(requested)
      const pasted = await engine.pasteBack(paste)
      return { generated, resultId: pasted.imageId }
    })
  }

  /** The live preview: only the crop region is blended and copied out, already scaled to `maxSize`. */
  async function previewEdit(requested: Edit, maxSize?: number): Promise<{ generated: GeneratedImage; pasted: RawImage }> {
    return withEngine(async () => {
      const { generated, paste } = await generateEdit(requested)
      return { generated, pasted: await engine.pastePreview({ ...paste, maxSize }) }
    })
  }

  /** Forget an engine-side result unless it is (by content) one of the images the document holds. */
  async function closeResult(imageId: string): Promise<void> {
    if (!images.has(imageId)) await engine.closeImage(imageId).catch(() => undefined)
  }

  async function documentBytes(document: ProjectDocument): Promise<Uint8Array> {
    return serializeProject(document, (imageId) => images.get(imageId), `${deps.app.name} ${deps.app.version}`)
  }

  /** Hold a parsed project's images; all or nothing, so a bad file changes nothing. */
  async function adoptProject(parsed: ParsedProject, name: string | null): Promise<OpenedProject> {
    const added: ImageInfo[] = []
    const idOf = new Map<string, string>()
    try {
      for (const [key, file] of parsed.images) {
        const info = await addImageBytes(file.name, file.bytes)
        added.push(info)
        idOf.set(key, info.imageId)
      }
    } catch (error) {
      for (const info of added) await images.release(info.imageId)
      const { code, message } = toAppError(error)
      throw new AppFailure(appErrorCodes.projectCorrupt, `This project file holds an image that cannot be opened (${code}): ${message}`, { cause: error })
    }
    const document = remapImageIds(parsed.document, (key) => idOf.get(key) ?? key)
    return { name, document, images: added }
  }

  async function openProjectFile(path: string): Promise<OpenedProject> {
    const parsed = await parseProject(await readUserFile(path, 'project'))
    const opened = await adoptProject(parsed, basename(path))
    projectPath = path
    await recent.add('project', path)
    return opened
  }

  async function saveProjectTo(path: string, document: ProjectDocument) {
    const bytes = await documentBytes(document)
    try {
      await writeFileAtomic(path, bytes)
    } catch (error) {
      throw new AppFailure(appErrorCodes.projectIo, `The project could not be written to ${basename(path)}: ${(error as Error).message}`, { cause: error })
    }
    projectPath = path
    await recent.add('project', path)
    await autosave.discard()
    return { canceled: false as const, name: basename(path) }
  }

  async function askProjectPath(document: ProjectDocument): Promise<string | null> {
    const name = `${stem(images.get(document.original.imageId).name)}.${projectExtension}`
    return dialogs.saveProject(projectPath ? basename(projectPath) : name)
  }

  const handlers: HandlerMap<Channels> = {
    'image:open': async ({ purpose }) => {
      const path = await dialogs.openImage(purpose)
      if (!path) return { canceled: true }
      return { canceled: false, image: await openImageFile(path, purpose === 'original') }
    },
    'image:import': async ({ name, bytes }) => ({ image: await addImageBytes(basename(name) || 'dropped image', bytes) }),
    'image:preview': async ({ imageId, maxSize }) => {
      const held = images.get(imageId)
      const raw = await withEngine(() => engine.getPixels(imageId, maxSize), false)
      return { preview: await rawToPng(raw, maxSize), fullWidth: held.info.width, fullHeight: held.info.height }
    },
    'image:release': async ({ imageId }) => ({ released: await images.release(imageId) }),

    'engine:encode': async ({ imageId, crop }) => {
      images.get(imageId)
      const started = performance.now()
      const encoded = await withEngine(() => engine.encode({ imageId, crop }))
      return { ms: performance.now() - started, cached: encoded.cached }
    },
    'engine:interpolate': async ({ edit: requested, strengths }) => {
      const started = performance.now()
      const frames = await withEngine(async () => {
        const edit = await spaceFor(requested)
        const { model } = await models.ensureLoaded()
        const out = []
        for (const strength of strengths) {
          const { request } = await engineEdit(edit, model.resolution, strength)
          out.push({ strength, image: await rawToPng((await engine.edit(request)).image) })
        }
        return out
      })
      return { frames, ms: performance.now() - started }
    },
    'engine:generate': async ({ seq, edit, maxSize }) => {
      const outcome = await previews.submit(seq, async () => {
        const started = performance.now()
        const preview = await previewEdit(edit, maxSize)
        // replaced by the next render within a second: encoding speed beats size here
        const pasted = await rawToPng(preview.pasted, maxSize, livePreviewPngLevel)
        const raw = await rawToPng(preview.generated.image, undefined, livePreviewPngLevel)
        return { crop: edit.original.crop, pasted, raw, ms: performance.now() - started }
      }).catch((error: unknown) => {
        const code = codeOf(error)
        if (code === 'E_SUPERSEDED') return { status: 'superseded' as const }
        if (code === 'E_CANCELLED') return { status: 'canceled' as const }
        throw error
      })
      if (outcome.status !== 'rendered') return { status: outcome.status, seq }
      return { status: 'rendered', seq, ...outcome.value }
    },
    'engine:cancel': async () => {
      const canceled = previews.cancel()
      await deps.cancelEngine?.()
      return { canceled }
    },
    'engine:random': async ({ seed, truncation }) => {
      const generated = await withEngine(() => engine.random({ seed, truncation }))
      return { image: await rawToPng(generated.image), ms: generated.ms }
    },
    'engine:morph': async ({ a, b, t }) => {
      images.get(a.imageId)
      images.get(b.imageId)
      const generated = await withEngine(async () => {
        const [mapA, mapB] = [await engine.encode(a), await engine.encode(b)]
        return engine.morph({ a: mapA.stylemapId, b: mapB.stylemapId, t })
      })
      return { image: await rawToPng(generated.image), ms: generated.ms }
    },

    'file:export': async ({ edit, format, quality }) => {
      const original = images.get(edit.original.imageId)
      const sourceFormat = (['png', 'jpeg', 'webp'] as const).find((f) => f === original.info.format || (f === 'jpeg' && original.info.format === 'jpg'))
      const chosen: ImageFormat = format === 'original' ? (sourceFormat ?? 'png') : format
      const path = await dialogs.saveImage(`${stem(original.name)}-edited.${formatExtension[chosen]}`, chosen)
      if (!path) return { canceled: true }
      // with no visible layer the export is the photo itself, re-encoded at full size
      const rendered = edit.layers.length ? await renderEdit(edit) : null
      try {
        const written = await withEngine(() =>
          engine.exportImage({
            imageId: rendered?.resultId ?? edit.original.imageId,
            path,
            format: chosen,
            quality,
            metadataFrom: edit.original.imageId,
            overwriteInput: true,
          }),
        )
        return { canceled: false, name: basename(written.path), width: written.width, height: written.height, format: written.format, byteLength: written.bytes }
      } finally {
        if (rendered) await closeResult(rendered.resultId)
      }
    },
    'file:saveImage': async ({ image, suggestedName }) => {
      const format = formatOfMime[image.mime]
      const name = `${stem(suggestedName)}.${mimeExtension[image.mime]}`
      const path = await dialogs.saveImage(name, format)
      if (!path) return { canceled: true }
      try {
        await writeFileAtomic(path, image.bytes)
      } catch (error) {
        throw new AppFailure(appErrorCodes.exportIo, `${basename(path)} could not be written: ${(error as Error).message}`, { cause: error })
      }
      return { canceled: false, name: basename(path), width: image.width, height: image.height, format, byteLength: image.bytes.length }
    },

    'project:save': async ({ document }) => {
      const path = projectPath ?? (await askProjectPath(document))
      if (!path) return { canceled: true }
      return saveProjectTo(path, document)
    },
    'project:saveAs': async ({ document }) => {
      const path = await askProjectPath(document)
      if (!path) return { canceled: true }
      return saveProjectTo(path, document)
    },
    'project:open': async () => {
      const path = await dialogs.openProject()
      if (!path) return { canceled: true }
      return { canceled: false, project: await openProjectFile(path) }
    },
    'project:new': async () => {
      projectPath = null
      return {}
    },

    'recent:list': async () => ({ items: (await recent.list()).map(toRecentItem) }),
    'recent:open': async ({ id }) => {
      const entry = (await recent.list()).find((item) => item.id === id)
      if (!entry) throw new AppFailure(appErrorCodes.recentMissing, 'That recent file is no longer in the list.')
      const exists = await stat(entry.path).then(
        () => true,
        () => false,
      )
      if (!exists) {
        await recent.remove(id)
        throw new AppFailure(appErrorCodes.recentMissing, `${basename(entry.path)} no longer exists; it was removed from the recent files.`)
      }
      if (entry.kind === 'image') return { kind: 'image', image: await openImageFile(entry.path, true) }
      return { kind: 'project', project: await openProjectFile(entry.path) }
    },
    'recent:clear': async () => {
      await recent.clear()
      return {}
    },

    'autosave:write': async ({ document }) => {
      const meta = await autosave.write(await documentBytes(document), projectPath)
      return { savedAt: meta.savedAt }
    },
    'autosave:check': async () => {
      const meta = await autosave.check()
      return { recovery: meta ? { savedAt: meta.savedAt, name: meta.projectPath ? basename(meta.projectPath) : null } : null }
    },
    'autosave:recover': async () => {
      const found = await autosave.read()
      if (!found) throw new AppFailure(appErrorCodes.noRecovery, 'There is no recovered document.')
      const project = await adoptProject(await parseProject(found.bytes), found.meta.projectPath ? basename(found.meta.projectPath) : null)
      projectPath = found.meta.projectPath
      return { project }
    },
    'autosave:discard': async () => {
      await autosave.discard()
      return {}
    },

    'model:list': async () => {
      await models.ensureLoaded().catch(() => undefined)
      return { models: await models.list() }
    },
    'model:select': async ({ id }) => ({ model: await models.select(id) }),
    'model:import': async () => {
      const dir = await dialogs.openModelFolder()
      if (!dir) return { canceled: true }
      return { canceled: false, model: await models.import(dir) }
    },
    'model:info': async ({ id }) => models.info(id),

    'app:info': async () => {
      const loaded = await models.ensureLoaded().catch(() => null)
      const listed = loaded ? (await models.list()).find((model) => model.id === loaded.model.id) ?? null : null
      return {
        name: deps.app.name,
        version: deps.app.version,
        platform: process.platform,
        arch: process.arch,
        executionProvider: loaded?.providers.inUse ?? null,
        providers: (loaded?.providers.probes ?? []).map((probe) => ({
          name: probe.provider,
          status: probe.status === 'ok' ? (probe.provider === loaded?.providers.inUse ? ('active' as const) : ('available' as const)) : probe.status,
          reason: probe.reason,
        })),
        model: listed,
        maxInputPixels: deps.maxInputPixels ?? defaultMaxInputPixels,
      }
    },
  }

  return {
    handlers,
    cleanExit: () => autosave.discard(),
    engineRestarted: async () => {
      await models.ensureLoaded()
      await images.reopenAll()
    },
  }
}

/** The handler map alone, for hosts that need nothing else. */
export function createHandlers(deps: AppDeps): HandlerMap<Channels> {
  return createApp(deps).handlers
}
