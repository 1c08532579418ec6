// Scripted answers for the native dialogs, used only by end-to-end tests of the built, not
// packaged, app (STYLEMAP_E2E=1 and STYLEMAP_E2E_DIALOG_FILE=<json>, read by testHooks.ts,
// which ignores both in a packaged app). Each dialog takes the first
// answer queued for its kind and writes the rest back, so a test can queue more answers
// while the app runs; an empty queue means the user pressed Cancel (or did not confirm).
import { readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import type { Dialogs } from '../app/deps'

const answerList = z.array(z.string().min(1).nullable()).default([])

export const dialogAnswersSchema = z.object({
  openImage: answerList,
  openProject: answerList,
  saveProject: answerList,
  saveImage: answerList,
  openModelFolder: answerList,
  openCheckpoint: answerList,
  /** true = the user chose to replace the original photo; none queued = not confirmed. */
  confirmOverwriteOriginal: z.array(z.boolean()).default([]),
})

export type DialogKind = keyof z.output<typeof dialogAnswersSchema>
type PathDialogKind = Exclude<DialogKind, 'confirmOverwriteOriginal'>
export type DialogAnswers = z.input<typeof dialogAnswersSchema>

/** What a stubbed dialog was asked, so a test can check the app asked the right thing. */
export interface DialogRequestLog {
  kind: DialogKind
  detail: string
  answer: string | boolean | null
}

/** Dialogs answered from the queue in `file`. */
export function createStubDialogs(file: string, log: DialogRequestLog[] = []): Dialogs {
  let chain: Promise<unknown> = Promise.resolve()
  /** The first answer queued for `kind` (undefined when none is), written back without it. */
  const shift = <K extends DialogKind>(kind: K): Promise<z.output<typeof dialogAnswersSchema>[K][number] | undefined> => {
    const next = chain.then(async () => {
      const answers = dialogAnswersSchema.parse(JSON.parse(await readFile(file, 'utf8')))
      const [answer, ...rest] = answers[kind]
      const temp = `${file}.${process.pid}.tmp`
      await writeFile(temp, JSON.stringify({ ...answers, [kind]: rest }, null, 2))
      await rename(temp, file)
      return answer
    })
    chain = next.catch(() => undefined)
    return next
  }
  const take = async (kind: PathDialogKind, detail: string): Promise<string | null> => {
    const answer = (await shift(kind)) ?? null
    const path = answer === null ? null : isAbsolute(answer) ? answer : resolve(answer)
    log.push({ kind, detail, answer: path })
    return path
  }
  return {
    openImage: (purpose) => take('openImage', purpose),
    openProject: () => take('openProject', ''),
    saveProject: (suggestedName) => take('saveProject', suggestedName),
    saveImage: (suggestedName, format) => take('saveImage', `${suggestedName} (${format})`),
    openModelFolder: () => take('openModelFolder', ''),
    openCheckpoint: () => take('openCheckpoint', ''),
    confirmOverwriteOriginal: async (name) => {
      const confirmed = (await shift('confirmOverwriteOriginal')) ?? false
      log.push({ kind: 'confirmOverwriteOriginal', detail: name, answer: confirmed })
      return confirmed
    },
  }
}
