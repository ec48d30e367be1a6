// A function's status in the list: Ready, or Not ready with the reason the platform gives.

/**
 * `running` is the cluster's or local mode's view of the function (its Ready condition's reason
 * and message on a cluster; local mode's process: ready, exitCode, health), `def` its resource.
 */
export function functionStatus(running, def) {
  if (running?.ready) return { text: 'Ready', reason: '', ok: true };
  // on a cluster: the Ready condition's reason and message
  if (running?.reason || running?.message) {
    return { text: 'Not ready', reason: [running.reason, running.message].filter(Boolean).join(': ') };
  }
  if (running && running.exitCode != null) {
    return { text: 'Not ready', reason: `process exited with code ${running.exitCode}` };
  }
  // local mode: what the runtime's /healthz says, e.g. that it cannot load the handler
  if (running?.health) return { text: 'Not ready', reason: running.health };
  if (running) return { text: 'Not ready', reason: 'starting: waiting for /healthz' };
  return { text: 'Not running', reason: def?.runs === false ? 'not run by local mode' : 'not started' };
}
