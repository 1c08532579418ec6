// The editor window: layout, keyboard, menu commands, start-up checks and autosave.
import { useEffect, useState } from 'react'
import { dispatchMenuCommand } from './actions/editorActions'
import { releaseAll, releaseFor, runShortcut, shortcutFor } from './actions/shortcuts'
import { AboutDialog } from './components/AboutDialog'
import { CanvasArea } from './components/CanvasArea'
import { ErrorList } from './components/ErrorList'
import { ExportDialog } from './components/ExportDialog'
import { GenerateDialog } from './components/GenerateDialog'
import { ModelsDialog } from './components/ModelsDialog'
import { RecentPanel } from './components/RecentPanel'
import { RecoveryPrompt } from './components/RecoveryPrompt'
import { ReferencesPanel } from './components/ReferencesPanel'
import { SettingsPanel } from './components/SettingsPanel'
import { ShortcutSheet } from './components/ShortcutSheet'
import { StatusBar } from './components/StatusBar'
import { Toolbar } from './components/Toolbar'
import { engineFailureCodes } from '../src-shared/contract'
import { call, toAppError } from './engine/api'
import { onDownloadProgress } from './models/downloads'
import { createEditorServices, EditorServicesProvider, useEditorState, type EditorServices } from './ui/editorServices'
import { isTyping } from './ui/isTyping'

const AUTOSAVE_DELAY_MS = 3000

function useKeyboard(services: EditorServices): void {
  useEffect(() => {
    const { actions } = services
    const onKeyDown = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return
      const hit = shortcutFor(e)
      if (!hit) return
      // a focused button handles its own Enter
      if (e.key === 'Enter' && (e.target as HTMLElement | null)?.tagName === 'BUTTON') return
      e.preventDefault()
      // a held key repeats: it was pressed once
      if (e.repeat && releaseFor(e)) return
      void runShortcut(actions, hit)
    }
    const onKeyUp = (e: KeyboardEvent) => {
      const hit = releaseFor(e)
      if (hit) void runShortcut(actions, hit)
    }
    const onBlur = () => {
      for (const hit of releaseAll()) void runShortcut(actions, hit)
    }
    window.addEventListener('keydown', onKeyDown)
    window.addEventListener('keyup', onKeyUp)
    window.addEventListener('blur', onBlur)
    return () => {
      window.removeEventListener('keydown', onKeyDown)
      window.removeEventListener('keyup', onKeyUp)
      window.removeEventListener('blur', onBlur)
    }
  }, [services])
}

function useStartup(services: EditorServices): void {
  useEffect(() => {
    const { store, ui, actions, preview, preparer } = services
    preview.start()
    const offs: (() => void)[] = []
    const api = window.stylemap
    if (!api) {
      store.reportError({ code: 'E_NO_BRIDGE', message: 'The engine bridge is missing: open the editor from Stylemap Studio.' })
      return () => preview.dispose()
    }
    preparer.start()
    offs.push(() => preparer.dispose())
    offs.push(
      api.on['menu:command'](({ command, recentId }) => void dispatchMenuCommand(actions, command, recentId)),
      api.on['engine:restarted'](({ reason }) => {
        store.reportError({ code: engineFailureCodes.engineCrashed, message: `The engine stopped and was restarted (${reason}). Your document is untouched.` })
        ui.set({ previewBusy: false })
        preparer.forget()
      }),
      api.on['autosave:request'](() => void writeAutosave(services)),
      api.on['download:progress']((progress) => onDownloadProgress(ui, progress)),
    )
    void (async () => {
      try {
        const [info, models, recents, autosave] = await Promise.all([
          call('app:info', {}),
          call('model:list', {}),
          call('recent:list', {}),
          call('autosave:check', {}),
        ])
        ui.set({ appInfo: info, models: models.models, recents: recents.items, recovery: autosave.recovery })
        // a model an earlier version imported still edits with that version's graphs: say so once, at the start
        if (info.model?.upgrade === 'available') ui.set({ notice: `${info.model.name} was imported by an earlier version: Models › Update makes it edit faster` })
      } catch (error) {
        store.reportError(toAppError(error))
      }
    })()
    // autosave: a few seconds after the last change, while there are unsaved changes
    let timer: ReturnType<typeof setTimeout> | null = null
    let seen = store.docRevision
    offs.push(
      store.subscribe(() => {
        if (store.docRevision === seen) return
        seen = store.docRevision
        if (timer) clearTimeout(timer)
        timer = setTimeout(() => void writeAutosave(services), AUTOSAVE_DELAY_MS)
      }),
    )
    return () => {
      if (timer) clearTimeout(timer)
      for (const off of offs) off()
      preview.dispose()
    }
  }, [services])
}

async function writeAutosave(services: EditorServices): Promise<void> {
  const { store } = services
  if (!store.dirty || store.strokeActive) return
  const document = store.toProjectDocument()
  if (!document) return
  try {
    await call('autosave:write', { document })
  } catch (error) {
    store.reportError(toAppError(error))
  }
}

function Layout() {
  const { ui } = useEditorState()
  return (
    <div className="app">
      <Toolbar />
      <div className="workspace">
        <CanvasArea />
        <aside className="sidebar" aria-label="Layers and settings">
          <ReferencesPanel />
          <SettingsPanel />
          <RecentPanel />
        </aside>
      </div>
      <StatusBar />
      {ui.dialog === 'export' && <ExportDialog />}
      {ui.dialog === 'models' && <ModelsDialog />}
      {ui.dialog === 'shortcuts' && <ShortcutSheet />}
      {ui.dialog === 'about' && <AboutDialog />}
      {ui.dialog === 'generate' && <GenerateDialog />}
      <RecoveryPrompt />
      <ErrorList />
    </div>
  )
}

/** The editor window. */
export function App() {
  const [services] = useState(createEditorServices)
  useKeyboard(services)
  useStartup(services)
  return (
    <EditorServicesProvider services={services}>
      <Layout />
    </EditorServicesProvider>
  )
}
