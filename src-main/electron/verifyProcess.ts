// Checks an imported checkpoint's model folder in an Electron utilityProcess (the packaged app
// cannot child_process.fork: its runAsNode fuse is off), so Electron main never holds the
// model's graphs. This module only supplies the spawn; src-main/torch/verifyProcess.ts runs it.
import { utilityProcess } from 'electron'
import { type SpawnVerify, utilityVerifyChild } from '../torch/verifyProcess'

/** Starts `hostScript` (the built verifyHost.js) for each check. */
export function createVerifySpawn(hostScript: string, env: NodeJS.ProcessEnv = process.env): SpawnVerify {
  return () => utilityVerifyChild(utilityProcess.fork(hostScript, [], { serviceName: 'Stylemap Studio import check', stdio: 'inherit', env }))
}
