import type { KubeClient, KubeError } from './kube-client.js';

export type WatchOutcome =
  /** The resourceVersion is older than the server keeps (410 Gone / `Expired`): the caller must re-list. */
  | { kind: 'expired'; sawEvents: boolean }
  /** The stream ended: a clean server close, a dropped connection or another error. Resume from the last rv. */
  | { kind: 'closed'; sawEvents: boolean; error: KubeError | null }
  | { kind: 'stopped'; sawEvents: boolean };

type Obj = Record<string, unknown>;

/** An `ERROR` watch event carries a `Status`; 410 means the resourceVersion was compacted away. */
function errorEventOutcome(object: unknown, sawEvents: boolean): WatchOutcome {
  const status = (typeof object === 'object' && object !== null ? object : {}) as Obj;
  const code = typeof status['code'] === 'number' ? status['code'] : null;
  if (code === 410 || status['reason'] === 'Expired' || status['reason'] === 'Gone') {
    return { kind: 'expired', sawEvents };
  }
  const message = typeof status['message'] === 'string' ? status['message'] : 'watch ERROR event';
  const reason = typeof status['reason'] === 'string' ? status['reason'] : null;
  return { kind: 'closed', sawEvents, error: { status: code, reason, message } };
}

/** Runs one watch request until it ends or `signal` aborts, and says how it ended. Never rejects. */
export function watchOnce(
  client: KubeClient,
  request: { namespace: string | null; resourceVersion: string },
  handleEvent: (type: string, object: unknown) => void,
  signal: AbortSignal,
): Promise<WatchOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let sawEvents = false;
    let stopStream: (() => void) | null = null;
    const onAbort = () => settle({ kind: 'stopped', sawEvents });
    const settle = (outcome: WatchOutcome) => {
      if (settled) return;
      settled = true;
      stopStream?.();
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onEvent = (type: string, object: unknown) => {
      if (settled) return;
      if (type === 'ERROR') return settle(errorEventOutcome(object, sawEvents));
      sawEvents = true;
      handleEvent(type, object);
    };
    const onDone = (error: KubeError | null) => {
      if (error?.status === 410) return settle({ kind: 'expired', sawEvents });
      settle({ kind: 'closed', sawEvents, error });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    client.watchPods(request, onEvent, onDone).then(
      (handle) => {
        if (settled) return handle.stop();
        stopStream = () => handle.stop();
      },
      (error: unknown) =>
        settle({ kind: 'closed', sawEvents, error: { status: null, reason: null, message: String(error) } }),
    );
  });
}
