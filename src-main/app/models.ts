// The models the user can pick: folders shipped with the app plus folders the user
// imported (remembered in the user's data folder with the last choice). Listing reads only
// each model.json; the engine validates a folder fully (hashes, graphs) when it loads it.
import { mkdir, readdir, readFile, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import type { EngineApi, LoadedModel } from '../engine/api'
import { appErrorCodes, type ModelInfo } from '../../src-shared/contract'
import { defaultTemplatesDir } from '../torch/templates'
import { folderVersion, upgradeFolder } from '../torch/upgradeFolder'
import type { SpawnVerify } from '../torch/verifyProcess'
import { writeFileAtomic } from './atomicWrite'
import { AppFailure } from './dispatch'

/** An imported folder's model id is already a shipped model's id. */
const modelIdTaken = appErrorCodes.modelIdTaken

const manifestSchema = z.object({
  format: z.literal('stylemap-onnx/1'),
  id: z.string().min(1),
  name: z.string(),
  resolution: z.number().int().positive(),
  stylemap: z.object({ channels: z.number().int().positive(), size: z.number().int().positive() }),
  domain: z.string().optional(),
  files: z.record(z.string(), z.string()),
  source: z.string().default(''),
  license: z.string().default(''),
  default: z.boolean().optional(),
  /** the engine checks it fully when it loads the model; a malformed one is left out here */
  alignment: z
    .object({ landmarks: z.array(z.tuple([z.number(), z.number()])).length(5) })
    .optional()
    .catch(undefined),
})

interface ListedModel {
  dir: string
  builtIn: boolean
  manifest: z.output<typeof manifestSchema>
}

const settingsSchema = z.object({ imported: z.array(z.string()).default([]), selected: z.string().optional() })
type ModelSettings = z.output<typeof settingsSchema>

async function readManifest(dir: string): Promise<z.output<typeof manifestSchema> | null> {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

export class ModelRegistry {
  private readonly settingsFile: string
  private loading: Promise<LoadedModel> | null = null
  /** Folders model:upgrade is rewriting. */
  private readonly upgrading = new Set<string>()
  /** What the engine has loaded, as it last said (the engine client reloads it after a restart). */
  private loaded: LoadedModel | null = null

  constructor(
    private readonly engine: EngineApi,
    private readonly bundledDir: string,
    userDataDir: string,
    /** The graph templates imported folders are compared with (and upgraded to). */
    private readonly templatesDir: string = defaultTemplatesDir,
    /** Starts an upgrade's check process (Electron main: utilityProcess). */
    private readonly spawnVerify?: SpawnVerify,
  ) {
    this.settingsFile = join(userDataDir, 'models.json')
  }

  private async settings(): Promise<ModelSettings> {
    try {
      const parsed = settingsSchema.safeParse(JSON.parse(await readFile(this.settingsFile, 'utf8')))
      return parsed.success ? parsed.data : { imported: [] }
    } catch {
      return { imported: [] }
    }
  }

  private async saveSettings(settings: ModelSettings): Promise<void> {
    await mkdir(dirname(this.settingsFile), { recursive: true })
    await writeFileAtomic(this.settingsFile, JSON.stringify(settings, null, 1))
  }

  /** Every usable model folder: shipped ones first (the default on top), then imported ones. */
  async listed(): Promise<ListedModel[]> {
    const out: ListedModel[] = []
    const seen = new Set<string>()
    const push = async (dir: string, builtIn: boolean) => {
      const manifest = await readManifest(dir)
      if (!manifest || seen.has(manifest.id)) return
      seen.add(manifest.id)
      out.push({ dir, builtIn, manifest })
    }
    // the shipped-models folder may also be a single model folder itself
    await push(this.bundledDir, true)
    // a missing or unreadable folder simply ships no models
    const entries = await readdir(this.bundledDir, { withFileTypes: true }).then(
      (found) => found.filter((e) => e.isDirectory()).map((e) => e.name),
      () => [] as string[],
    )
    for (const name of entries.sort()) await push(join(this.bundledDir, name), true)
    out.sort((a, b) => Number(b.manifest.default === true) - Number(a.manifest.default === true))
    for (const dir of (await this.settings()).imported) await push(dir, false)
    return out
  }

  /** Whether an imported folder is an earlier version's (ModelInfo.upgrade); shipped models are the app's own. */
  private async upgradeOf(listed: ListedModel): Promise<ModelInfo['upgrade']> {
    if (listed.builtIn) return undefined
    // templates missing or damaged: nothing to offer (the import reports that where it matters)
    const version = await folderVersion(listed.dir, this.templatesDir).catch(() => null)
    return version?.state === 'upgradable' ? 'available' : version?.state === 'early' ? 'early' : undefined
  }

  private async toInfo(listed: ListedModel, activeId: string | null): Promise<ModelInfo> {
    const { manifest } = listed
    const upgrade = await this.upgradeOf(listed)
    return {
      id: manifest.id,
      name: manifest.name,
      resolution: manifest.resolution,
      stylemap: manifest.stylemap,
      domain: manifest.domain,
      license: manifest.license,
      source: manifest.source,
      builtIn: listed.builtIn,
      active: manifest.id === activeId,
      capabilities: { wplus: Boolean(manifest.files.resizer && manifest.files.synthesis), random: Boolean(manifest.files.mapping) },
      alignsFaces: manifest.alignment !== undefined,
      ...(manifest.alignment ? { faceLandmarks: manifest.alignment.landmarks } : {}),
      ...(upgrade ? { upgrade } : {}),
    }
  }

  private async activeId(): Promise<string | null> {
    return (this.loaded ?? (await this.engine.modelInfo()))?.model.id ?? null
  }

  async list(): Promise<ModelInfo[]> {
    const active = await this.activeId()
    return Promise.all((await this.listed()).map((listed) => this.toInfo(listed, active)))
  }

  /**
   * The loaded model, loading the last choice (or the default) the first time. Known once, it
   * costs no engine request; `refresh` asks the engine again (after it lost its state).
   */
  async ensureLoaded(options: { refresh?: boolean } = {}): Promise<LoadedModel> {
    if (this.loaded && !options.refresh) return this.loaded
    const current = await this.engine.modelInfo()
    if (current) return (this.loaded = current)
    this.loaded = null
    if (!this.loading) {
      this.loading = (async () => {
        const listed = await this.listed()
        const selected = (await this.settings()).selected
        const pick = listed.find((entry) => entry.manifest.id === selected) ?? listed[0]
        if (!pick) throw new AppFailure('E_MODEL_MISSING', `No model is installed (looked in ${this.bundledDir}).`)
        return (this.loaded = await this.engine.loadModel(pick.dir))
      })().finally(() => {
        this.loading = null
      })
    }
    return this.loading
  }

  /** The shipped model with this id, unless it is `folder` itself (importing it again changes nothing). */
  private async shippedWithId(id: string, folder: string): Promise<ListedModel | undefined> {
    const real = (path: string) => realpath(path).catch(() => resolve(path))
    const realFolder = await real(folder)
    for (const entry of await this.listed()) {
      if (entry.builtIn && entry.manifest.id === id && (await real(entry.dir)) !== realFolder) return entry
    }
    return undefined
  }

  /** Load `dir`; if that fails, go back to the model that was loaded before and rethrow. */
  private async switchTo(dir: string, options: { verify?: boolean } = {}): Promise<LoadedModel> {
    const previous = this.loaded ?? (await this.engine.modelInfo())
    try {
      return (this.loaded = await this.engine.loadModel(dir, { verify: options.verify }))
    } catch (error) {
      this.loaded = null
      if (previous) this.loaded = await this.engine.loadModel(previous.model.dir).catch(() => null)
      throw error
    }
  }

  async select(id: string): Promise<ModelInfo> {
    const listed = (await this.listed()).find((entry) => entry.manifest.id === id)
    if (!listed) throw new AppFailure(appErrorCodes.modelUnknown, `No model with the id "${id}" is installed.`)
    await this.switchTo(listed.dir)
    const settings = await this.settings()
    await this.saveSettings({ ...settings, selected: id })
    return this.toInfo(listed, id)
  }

  /**
   * Brings the imported model `id` to today's graphs (upgradeFolder: the folder is replaced only
   * once the new one checks out); the active model is loaded again so the engine runs them.
   */
  async upgrade(id: string, onProgress?: (fraction: number) => void): Promise<ModelInfo> {
    const listed = (await this.listed()).find((entry) => entry.manifest.id === id)
    if (!listed) throw new AppFailure(appErrorCodes.modelUnknown, `No model with the id "${id}" is installed.`)
    if (listed.builtIn) throw new AppFailure('E_UPGRADE_UNKNOWN', `${listed.manifest.name} is shipped with the app and up to date.`)
    // one update of a folder at a time: a second would find the first's folder half moved
    if (this.upgrading.has(listed.dir)) throw new AppFailure(appErrorCodes.downloadBusy, `${listed.manifest.name} is being updated already.`)
    this.upgrading.add(listed.dir)
    try {
      await upgradeFolder(listed.dir, { templatesDir: this.templatesDir, onProgress: (fraction) => onProgress?.(fraction), spawnVerify: this.spawnVerify })
    } finally {
      this.upgrading.delete(listed.dir)
    }
    const active = await this.activeId()
    if (active === id) await this.switchTo(listed.dir)
    const manifest = (await readManifest(listed.dir)) ?? listed.manifest
    return this.toInfo({ ...listed, manifest }, active)
  }

  /**
   * Validate a folder by loading it (it becomes the active model), then remember it. A folder
   * whose id is a shipped model's is refused and the model active before comes back: the list
   * is keyed by id, so it would be shown, selected and remembered as the shipped model.
   */
  async import(dir: string): Promise<ModelInfo> {
    const folder = resolve(dir)
    const previous = this.loaded ?? (await this.engine.modelInfo())
    // loaded first, so a broken folder reports what is wrong with it whatever its id
    const loaded = await this.switchTo(folder, { verify: true })
    const manifest = await readManifest(folder)
    if (!manifest) throw new AppFailure('E_MODEL_MANIFEST', `${folder} has no readable model.json.`)
    const shipped = await this.shippedWithId(loaded.model.id, folder)
    if (shipped) {
      this.loaded = await this.engine.loadModel(previous?.model.dir ?? shipped.dir).catch(() => null)
      throw new AppFailure(
        modelIdTaken,
        `The model in ${basename(folder)} has the id "${loaded.model.id}", which is the id of the model shipped with the app (${shipped.manifest.name}). Give it another id in its model.json to import it.`,
      )
    }
    const settings = await this.settings()
    const imported = settings.imported.filter((entry) => resolve(entry) !== folder)
    const builtIn = (await this.listed()).some((entry) => entry.builtIn && entry.manifest.id === manifest.id)
    await this.saveSettings({ imported: builtIn ? imported : [...imported, folder], selected: loaded.model.id })
    return this.toInfo({ dir: folder, builtIn, manifest }, loaded.model.id)
  }
}
