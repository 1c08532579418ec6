// The files a CLI command reads: none may be replaced by its output, and a project is read only
// when it is a regular file.
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { appErrorCodes } from '../../src-shared/contract.js'
import { EngineError, engineErrorCodes } from '../engine/errors.js'
import { projectMaxBytes, projectTooLarge } from '../app/projectFile.js'
import { FileTooLargeError, NotRegularFileError, readRegularFile, sameFile } from '../engine/files.js'

/** One input file of a command, with the option that named it (`--mask`). */
export interface CommandInput {
  option: string
  path: string
}

/**
 * Refuses (E_EXPORT_OVERWRITE) an output path whose file holds exactly one of `contents`: a
 * project carries its photos' bytes but not their paths, so `render --project P --out me.jpg`
 * would otherwise replace the very photo the project was made from.
 */
export async function refuseOverwritingContent(out: string, contents: { what: string; bytes: Uint8Array }[]): Promise<void> {
  const size = await stat(out).then(
    (info) => (info.isFile() ? info.size : -1),
    () => -1,
  )
  const same = contents.filter((c) => c.bytes.length === size)
  if (!same.length) return
  const existing = await readRegularFile(out)
  const match = same.find((c) => existing.equals(c.bytes))
  if (match) throw new EngineError(engineErrorCodes.exportOverwrite, `--out ${out} holds the project's ${match.what}; refusing to overwrite it (choose another output path, or --overwrite-input)`)
}

/**
 * Refuses (E_EXPORT_OVERWRITE) an output path that is one of the command's inputs: the same
 * path, or the same file through a symlink or a hard link. Checked before any work is done.
 */
export async function refuseOverwritingInputs(out: string, inputs: CommandInput[]): Promise<void> {
  for (const { option, path } of inputs) {
    if (await sameFile(out, path)) {
      throw new EngineError(
        engineErrorCodes.exportOverwrite,
        `--out ${out} is the ${option} file ${basename(path)}; refusing to overwrite an input (choose another output path)`,
      )
    }
  }
}

/**
 * A project file's bytes; E_PROJECT_IO when it cannot be read or is not a regular file (a FIFO,
 * /dev/zero), E_PROJECT_TOO_LARGE (unread) over the size a project can be opened at.
 */
export async function readProjectFile(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, projectMaxBytes)
  } catch (error) {
    if (error instanceof FileTooLargeError) throw projectTooLarge(error.bytes)
    const why = error instanceof NotRegularFileError ? `it is ${error.what}, not a regular file` : ((error as NodeJS.ErrnoException).code ?? String(error))
    throw new EngineError(appErrorCodes.projectIo, `${path} cannot be read: ${why}`)
  }
}
