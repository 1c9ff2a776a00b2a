/**
 * Intel TCB statuses, ordered from best to worst so two partial results (platform and TDX module,
 * TEE_TCB_SVN and TEE_TCB_SVN_2, QE) can be merged by taking the worse one. Intel's QVL merges
 * "SWHardeningNeeded" with "ConfigurationNeeded" into "ConfigurationAndSWHardeningNeeded"; the same
 * is done here so the merged status is always one Intel defines.
 */
export const TCB_STATUSES = [
    'UpToDate',
    'SWHardeningNeeded',
    'ConfigurationNeeded',
    'ConfigurationAndSWHardeningNeeded',
    'OutOfDate',
    'OutOfDateConfigurationNeeded',
    'Revoked',
] as const;

export type TcbStatus = (typeof TCB_STATUSES)[number];

/** Cocoon accepts only fully patched platforms unless a deployment says otherwise. */
export const DEFAULT_ACCEPTED_TCB_STATUSES: readonly TcbStatus[] = ['UpToDate'];

export function isTcbStatus(s: unknown): s is TcbStatus {
    return typeof s === 'string' && (TCB_STATUSES as readonly string[]).includes(s);
}

export function worseStatus(a: TcbStatus, b: TcbStatus): TcbStatus {
    const pair = new Set([a, b]);
    if (pair.has('SWHardeningNeeded') && pair.has('ConfigurationNeeded')) return 'ConfigurationAndSWHardeningNeeded';
    return TCB_STATUSES.indexOf(a) >= TCB_STATUSES.indexOf(b) ? a : b;
}
