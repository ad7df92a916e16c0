import { FaultHook, FaultStep } from './types';

/** Every step the writer reports to `faultHook`, in protocol order. */
export const FAULT_STEPS: readonly FaultStep[] = [
  'lock-acquired',
  'recovered',
  'planned',
  'staging-created',
  'staged-file', // once per staged file
  'staged-all',
  'journal-tmp-written',
  'journal-committed',
  'deleted-file', // once per deleted file
  'renamed-file', // once per renamed file
  'manifest-renamed',
  'applied',
  'journal-removed',
  'staging-removed',
];

/**
 * Marks an exception thrown by the fault hook, so the writer can tell a simulated crash (no
 * clean-up: the next run must recover, as after a real SIGKILL) from a real error (best-effort
 * recovery before the lock is released).
 */
export class SimulatedCrash extends Error {
  constructor(public readonly original: unknown, public readonly step: FaultStep) {
    super(`simulated crash at ${step}`);
  }
}

export function fault(hook: FaultHook | undefined, step: FaultStep, detail?: string): void {
  if (!hook) return;
  try {
    hook(step, detail);
  } catch (e) {
    throw new SimulatedCrash(e, step);
  }
}
