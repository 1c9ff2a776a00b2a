/** Parameter sets and ids used by the walkthrough, the scripts' defaults and the tests. */
import { Address, toNano } from '@ton/core';
import { createHash } from 'node:crypto';
import type { Params } from '../wrappers/Registry';

/** Model id of the reference engine: SHA-256 of its UTF-8 name. */
export const REFERENCE_MODEL_NAME = 'cocoon-reference-v1';
export function modelIdOf(name: string): bigint {
    return BigInt('0x' + createHash('sha256').update(name, 'utf8').digest('hex'));
}

export function defaultParams(treasury: Address): Params {
    return {
        $$type: 'Params',
        minStake: toNano('10'),
        unbondingPeriod: 7n * 86400n,
        minJobTtl: 60n,
        maxJobTtl: 86400n,
        protocolFeeBps: 500n, // 5 %
        expirySlashBps: 20000n, // 2x the job's price cap
        expiryClientShareBps: 5000n,
        equivocationSlashBps: 5000n,
        reporterShareBps: 2000n,
        attestationMaxAge: 7n * 86400n,
        governanceDelay: 86400n,
        treasury,
        maxSessionTtl: 30n * 86400n,
        sessionChallengeWindow: 3600n,
    };
}
