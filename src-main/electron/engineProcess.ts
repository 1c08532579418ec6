// Hosts the engine in an Electron utilityProcess (onnxruntime's session.run blocks its
// thread, so it must never run on main's event loop). The engine client restarts the
// process with the next request after a crash and fails the request in flight with
// E_ENGINE_CRASHED; this module only supplies the spawn function.
import { utilityProcess } from 'electron'
import { EngineClient } from '../engine/client'
import { engineEnv, utilityProcessChannel } from '../engine/spawn'

/** An EngineClient whose process is `hostScript` run by utilityProcess.fork. */
export function createEngineClient(hostScript: string, env: NodeJS.ProcessEnv = process.env): EngineClient {
  return new EngineClient(() =>
    utilityProcessChannel(
      utilityProcess.fork(hostScript, [], {
        serviceName: 'Stylemap Studio engine',
        stdio: 'inherit',
        // glibc gives large freed blocks back at once (spawn.ts engineEnv); where Chromium's
        // allocator serves malloc in the utility process the variable changes nothing
        env: engineEnv(env),
      }),
    ),
  )
}
