// Renders build/icon.svg into the PNG icons electron-builder packs:
// build/icon.png (1024 px, converted to .icns/.ico for macOS and Windows) and
// build/icons/NxN.png (the Linux icon set). Run: node build/make-icons.mjs
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'

const here = import.meta.dirname
const svg = await readFile(join(here, 'icon.svg'))
const linuxSizes = [16, 24, 32, 48, 64, 128, 256, 512]

async function render(size, file) {
  await sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 1024)) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(file)
}

await render(1024, join(here, 'icon.png'))
await mkdir(join(here, 'icons'), { recursive: true })
for (const size of linuxSizes) await render(size, join(here, 'icons', `${size}x${size}.png`))
console.log(`icons written: icon.png (1024) and ${linuxSizes.length} Linux sizes`)
