// The app layer's Dialogs, answered by the operating system's file dialogs, modal to the
// editor window. Paths stay in main: the renderer only ever learns file names.
import { dialog, type BrowserWindow, type MessageBoxOptions, type OpenDialogOptions, type SaveDialogOptions } from 'electron'
import type { Dialogs, ImageFormat } from '../app/deps'

const imageExtensions = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'avif', 'heic', 'heif', 'gif']
const projectFilter = { name: 'Stylemap project', extensions: ['smproj'] }
const formatFilters: Record<ImageFormat, { name: string; extensions: string[] }> = {
  png: { name: 'PNG image', extensions: ['png'] },
  jpeg: { name: 'JPEG image', extensions: ['jpg', 'jpeg'] },
  webp: { name: 'WebP image', extensions: ['webp'] },
}

/** Dialogs shown as sheets/modals of whatever window `owner()` returns. */
export function createNativeDialogs(owner: () => BrowserWindow | null): Dialogs {
  async function open(options: OpenDialogOptions): Promise<string | null> {
    const window = owner()
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  async function save(options: SaveDialogOptions): Promise<string | null> {
    const window = owner()
    const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
    return result.canceled || !result.filePath ? null : result.filePath
  }
  async function ask(options: MessageBoxOptions): Promise<number> {
    const window = owner()
    return (window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options)).response
  }
  return {
    openImage: (purpose) =>
      open({
        title: purpose === 'original' ? 'Open a photo to edit' : 'Add a reference photo',
        properties: ['openFile'],
        filters: [
          { name: 'Images', extensions: imageExtensions },
          { name: 'All files', extensions: ['*'] },
        ],
      }),
    openProject: () => open({ title: 'Open a Stylemap project', properties: ['openFile'], filters: [projectFilter] }),
    saveProject: (suggestedName) =>
      save({ title: 'Save project', defaultPath: suggestedName, filters: [projectFilter], properties: ['showOverwriteConfirmation', 'createDirectory'] }),
    saveImage: (suggestedName, format) =>
      save({
        title: 'Export image',
        defaultPath: suggestedName,
        filters: [formatFilters[format]],
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      }),
    openModelFolder: () => open({ title: 'Import a model folder (with model.json)', properties: ['openDirectory'], buttonLabel: 'Import model' }),
    openCheckpoint: () =>
      open({
        title: 'Import a StyleMapGAN checkpoint (.pt)',
        properties: ['openFile'],
        buttonLabel: 'Import checkpoint',
        filters: [
          { name: 'PyTorch checkpoint', extensions: ['pt', 'pth'] },
          { name: 'All files', extensions: ['*'] },
        ],
      }),
    // Cancel is the default and what Escape answers: replacing the original takes a deliberate click
    confirmOverwriteOriginal: async (name) =>
      (await ask({
        type: 'warning',
        title: 'Replace the original photo?',
        message: `Replace the original photo ${name}?`,
        detail: `${name} is open in the editor. Replacing it cannot be undone; the original photo will be lost. Choose another file name to keep it.`,
        buttons: ['Cancel', 'Replace Original'],
        defaultId: 0,
        cancelId: 0,
        noLink: true,
      })) === 1,
  }
}
