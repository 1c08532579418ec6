// The checkpoints the StyleMapGAN authors released, as the app's Models › Add and
// `stylemap download --dataset` offer them. Shared by main, the CLI and the renderer, so it
// imports nothing. Links are the ones in the authors' download.sh (naver-ai/StyleMapGAN at
// commit 3a70e07, `download-pretrained-network-256`); they are Google Drive links, which
// often answer a web page instead of the file for files this large.

export const catalogDatasets = ['celeba_hq', 'afhq', 'lsun_car', 'lsun_church'] as const
export type CatalogDataset = (typeof catalogDatasets)[number]

export interface CatalogEntry {
  dataset: CatalogDataset
  /** what the user sees */
  title: string
  /** the model's domain, as a model.json says it */
  domain: string
  /** image size in pixels */
  resolution: number
  /** stylemap side (8 = 8x8) */
  stylemapSize: number
  license: string
  licenseUrl: string
  /** where the weights come from: the authors' repository */
  repository: string
  /** the download link the authors publish */
  url: string
  /** the file name download.sh gives it */
  fileName: string
  /**
   * About how large the file is, in bytes. Not published by the authors: worked out from the
   * architecture (256 px, channel multiplier 2: generator, encoder and discriminator with their
   * EMA copies and Adam states, float32), about 1.9 GB. Used for the display and for the
   * free-space check when the server does not say the length.
   */
  approxBytes: number
  /** About how large the imported model folder is (encoder, decoder, synthesis, mapping, resizer). */
  approxModelBytes: number
  /** how the model frames faces: FFHQ-style for face data sets, none otherwise */
  alignment: 'ffhq' | 'none'
}

const repository = 'https://github.com/naver-ai/StyleMapGAN'
const license = 'CC BY-NC 4.0'
const licenseUrl = 'https://creativecommons.org/licenses/by-nc/4.0/'
const drive = (id: string) => `https://docs.google.com/uc?export=download&id=${id}`
// 4 x (generator + encoder) + 3 x discriminator parameters at 256 px, channel multiplier 2
const approxBytes = 1_904_000_000
// 2 x generator (decoder and synthesis graphs) + encoder
const approxModelBytes = 710_000_000

const entry = (dataset: CatalogDataset, title: string, domain: string, id: string, alignment: 'ffhq' | 'none'): CatalogEntry => ({
  dataset,
  title,
  domain,
  resolution: 256,
  stylemapSize: 8,
  license,
  licenseUrl,
  repository,
  url: drive(id),
  fileName: `${dataset}_256_8x8.pt`,
  approxBytes,
  approxModelBytes,
  alignment,
})

/** The released 256 px checkpoints with 8x8 stylemaps, trained on 20M images. */
export const catalog: readonly CatalogEntry[] = [
  entry('celeba_hq', 'CelebA-HQ faces', 'faces', '1Up6qELYFF1cV0HREnHpykKN2Ordr1xpp', 'ffhq'),
  entry('afhq', 'AFHQ animal faces', 'animal faces', '1gKSxyBWUc53OaRwFZ6w2CuNkiLf3_X9C', 'none'),
  entry('lsun_car', 'LSUN cars', 'cars', '1P77_21yBcgF5AMs8hMBT8m0eEhR5j8_Q', 'none'),
  entry('lsun_church', 'LSUN churches', 'churches', '1sxdDn2dK1Ilqv9KSrXqABSUywV25pbin', 'none'),
]

export function isCatalogDataset(name: string): name is CatalogDataset {
  return (catalogDatasets as readonly string[]).includes(name)
}

export function catalogEntry(dataset: CatalogDataset): CatalogEntry {
  const found = catalog.find((e) => e.dataset === dataset)
  if (!found) throw new Error(`no catalog entry for ${dataset}`)
  return found
}

/** The model id a catalog download is imported under. */
export function catalogModelId(dataset: CatalogDataset): string {
  return `stylemapgan-${dataset.replace(/_/g, '-')}-256`
}

/** Bytes as the user reads them: "1.9 GB", "312 MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`
  return `${bytes} B`
}
