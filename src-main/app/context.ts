// What the channel handlers share: the engine, the images and models main holds, the current
// project file, and the few steps several namespaces take (reading a user's file, adopting a
// project's images). One context per window's app layer; nothing module-level.
import { basename, extname, resolve } from 'node:path'
import type { Edit as EngineEdit, EngineApi } from '../engine/api'
import { engineErrorCodes } from '../engine/errors'
import { FileTooLargeError, NotRegularFileError, readRegularFile, sameFileAmong } from '../engine/files'
import { appErrorCodes, type Edit, type ImageInfo, type OpenedProject, type ProjectDocument } from '../../src-shared/contract'
import { Autosave } from './autosave'
import type { AppDeps } from './deps'
import { AppFailure, toAppError } from './dispatch'
import { ImageStore } from './imageStore'
import { ModelRegistry } from './models'
import { parseProject, projectMaxBytes, projectTooLarge, remapImageIds, serializeProject, type ParsedProject } from './projectFile'

const defaultMaxInputBytes = 512 * 1024 * 1024
/** Engine codes meaning "I lost state" (a restart, an evicted photo): hand the images over again and retry once. */
const lostStateCodes = new Set(['E_IMAGE_UNKNOWN', 'E_MODEL_NOT_LOADED'])

export interface AppContext {
  deps: AppDeps
  engine: EngineApi
  images: ImageStore
  models: ModelRegistry
  autosave: Autosave
  /** The project file the document was last opened from or saved to. */
  projectPath: string | null
  /** Run engine work with a model loaded; if the engine lost its state, restore it and retry once. */
  withEngine<T>(work: () => Promise<T>, options?: { needsModel?: boolean }): Promise<T>
  /** The engine's edit for a contract edit: W+ becomes W where the loaded model has no W+. */
  engineEdit(edit: Edit): Promise<EngineEdit>
  /** A photo or project file the user chose; only regular files (E_IMAGE_NOT_FILE, E_PROJECT_IO otherwise). */
  readUserFile(path: string, kind: 'image' | 'project'): Promise<Uint8Array>
  /** Hold an image; `sourcePath` is the file it was read from, protected from being written over. */
  addImageBytes(name: string, bytes: Uint8Array, sourcePath?: string): Promise<ImageInfo>
  openImageFile(path: string, remember: boolean): Promise<ImageInfo>
  documentBytes(document: ProjectDocument): Promise<Uint8Array>
  /** Hold a parsed project's images; all or nothing, so a bad file changes nothing. */
  adoptProject(parsed: ParsedProject, name: string | null): Promise<OpenedProject>
  openProjectFile(path: string): Promise<OpenedProject>
  /**
   * Before writing to `path`: when it is the file of an open photo (also through a symlink or
   * a hard link, or a file with exactly a held photo's bytes), ask the user, and refuse with
   * E_WOULD_OVERWRITE_ORIGINAL unless they confirm.
   */
  guardOriginals(path: string): Promise<void>
}

/** A file name without folder and extension, for suggested names. */
export function stem(name: string): string {
  const base = basename(name)
  const ext = extname(base)
  return (ext ? base.slice(0, -ext.length) : base) || 'untitled'
}

export function createContext(deps: AppDeps): AppContext {
  const { engine, recent } = deps
  const maxInputBytes = deps.maxInputBytes ?? defaultMaxInputBytes
  const images = new ImageStore(engine)
  const models = new ModelRegistry(engine, deps.bundledModelsDir, deps.userDataDir, deps.checkpointTemplatesDir, deps.downloads?.spawnVerify)

  const tooLarge = (name: string, bytes: number) =>
    new AppFailure(appErrorCodes.imageTooLarge, `${name} is ${(bytes / 2 ** 20).toFixed(0)} MiB; the limit is ${maxInputBytes / 2 ** 20} MiB.`)

  const context: AppContext = {
    deps,
    engine,
    images,
    models,
    autosave: new Autosave(deps.userDataDir),
    projectPath: null,

    async withEngine(work, options = {}) {
      const needsModel = options.needsModel ?? true
      if (needsModel) await models.ensureLoaded()
      try {
        return await work()
      } catch (error) {
        if (!lostStateCodes.has(toAppError(error).code)) throw error
        if (needsModel) await models.ensureLoaded({ refresh: true })
        await images.reopenAll()
        return work()
      }
    },

    async engineEdit(edit) {
      const { model } = await models.ensureLoaded()
      // a model without resizer/synthesis can only mix in W
      return edit.space === 'wplus' && !model.features.wplus ? { ...edit, space: 'w' } : edit
    },

    async readUserFile(path, kind) {
      try {
        return await readRegularFile(path, kind === 'image' ? maxInputBytes : projectMaxBytes)
      } catch (error) {
        if (error instanceof FileTooLargeError) throw kind === 'project' ? projectTooLarge(error.bytes) : tooLarge(basename(path), error.bytes)
        if (error instanceof NotRegularFileError) {
          const code = kind === 'image' ? appErrorCodes.imageNotFile : appErrorCodes.projectIo
          throw new AppFailure(code, `${basename(path)} is ${error.what}, not a ${kind === 'image' ? 'photo' : 'project'} file.`, { cause: error })
        }
        const code = kind === 'image' ? engineErrorCodes.imageMissing : appErrorCodes.projectIo
        throw new AppFailure(code, `${basename(path)} cannot be read: ${(error as Error).message}`, { cause: error })
      }
    },

    async addImageBytes(name, bytes, sourcePath) {
      if (bytes.length > maxInputBytes) throw tooLarge(name, bytes.length)
      return images.add(name, bytes, sourcePath)
    },

    async openImageFile(path, remember) {
      const image = await context.addImageBytes(basename(path), await context.readUserFile(path, 'image'), resolve(path))
      if (remember) await recent.add('image', path)
      return image
    },

    documentBytes(document) {
      return serializeProject(document, (imageId) => images.get(imageId), `${deps.app.name} ${deps.app.version}`)
    },

    async adoptProject(parsed, name) {
      const added: ImageInfo[] = []
      const idOf = new Map<string, string>()
      try {
        for (const [key, file] of parsed.images) {
          const info = await context.addImageBytes(file.name, file.bytes)
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
    },

    async openProjectFile(path) {
      const parsed = await parseProject(await context.readUserFile(path, 'project'))
      const opened = await context.adoptProject(parsed, basename(path))
      context.projectPath = path
      await recent.add('project', path)
      return opened
    },

    async guardOriginals(path) {
      // by path (also symlinks and hard links), else by content: a dropped photo or one held from a project has no path
      const original = await sameFileAmong(path, images.sourcePaths())
      const name = original !== null ? basename(original) : (await images.holdingContentOf(path))?.name
      if (name === undefined) return
      if (await deps.dialogs.confirmOverwriteOriginal(name)) return
      throw new AppFailure(
        appErrorCodes.wouldOverwriteOriginal,
        `${basename(path)} is the file of the open photo ${name}; it was not replaced. Choose another file name to keep the original.`,
      )
    },
  }
  return context
}
