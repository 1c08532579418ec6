// Sandboxed preload: exposes `window.stylemap` (the contract's task functions and event
// subscriptions) and nothing else; ipcRenderer itself never reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { apiGlobalName, buildStylemapApi } from './api'

const api = buildStylemapApi({
  invoke: (channel, payload) => ipcRenderer.invoke(channel, payload),
  subscribe(event, listener) {
    // The event object carries `sender` (ipcRenderer itself): strip it.
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(event, wrapped)
    return () => {
      ipcRenderer.removeListener(event, wrapped)
    }
  },
})

contextBridge.exposeInMainWorld(apiGlobalName, api)
