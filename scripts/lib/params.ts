/**
 * Registry parameters from flags, each defaulting to a base set (protocol/defaults.ts for a new
 * Registry, the Registry's current parameters for a proposal), checked against the bounds of
 * Registry.validateParams (contracts/registry.tact, contracts/common/params.tact) before sending.
 */
import { Address, toNano } from '@ton/core';
import type { Params } from '../../wrappers/Registry';
import { Args, UsageError } from './args';

const BPS = 10000n;

/** Flag → field, with how it is parsed. Durations are seconds. */
const FIELDS: { flag: string; field: keyof Omit<Params, '$$type' | 'treasury'>; kind: 'ton' | 'int' }[] = [
    { flag: 'min-stake', field: 'minStake', kind: 'ton' },
    { flag: 'unbonding-period', field: 'unbondingPeriod', kind: 'int' },
    { flag: 'min-job-ttl', field: 'minJobTtl', kind: 'int' },
    { flag: 'max-job-ttl', field: 'maxJobTtl', kind: 'int' },
    { flag: 'protocol-fee-bps', field: 'protocolFeeBps', kind: 'int' },
    { flag: 'expiry-slash-bps', field: 'expirySlashBps', kind: 'int' },
    { flag: 'expiry-client-share-bps', field: 'expiryClientShareBps', kind: 'int' },
    { flag: 'equivocation-slash-bps', field: 'equivocationSlashBps', kind: 'int' },
    { flag: 'reporter-share-bps', field: 'reporterShareBps', kind: 'int' },
    { flag: 'attestation-max-age', field: 'attestationMaxAge', kind: 'int' },
    { flag: 'governance-delay', field: 'governanceDelay', kind: 'int' },
];
export const PARAM_FLAGS = [...FIELDS.map((f) => f.flag), 'treasury'];

export function paramsFromArgs(args: Args, base: Params, treasuryDefault: Address = base.treasury): Params {
    const p: Params = { ...base, treasury: args.address('treasury', treasuryDefault) };
    for (const f of FIELDS) {
        p[f.field] = f.kind === 'ton' ? args.amount(f.flag, base[f.field]) : args.int(f.flag, base[f.field], { min: 0n });
    }
    checkParams(p);
    return p;
}

/** The bounds the Registry enforces on a proposal, so a bad set fails here and costs nothing. */
export function checkParams(p: Params): void {
    const fail = (what: string) => {
        throw new UsageError(`parameters out of bounds: ${what}`);
    };
    if (p.minStake < toNano('1')) fail('--min-stake below 1 TON');
    if (p.unbondingPeriod < 3600n || p.unbondingPeriod > 31536000n) fail('--unbonding-period outside [3600, 31536000] s');
    if (p.minJobTtl < 10n || p.minJobTtl > p.maxJobTtl || p.maxJobTtl > 604800n) fail('job ttl: need 10 <= --min-job-ttl <= --max-job-ttl <= 604800');
    if (p.maxJobTtl >= p.unbondingPeriod) fail('--max-job-ttl must be below --unbonding-period');
    if (p.protocolFeeBps > 3000n) fail('--protocol-fee-bps above 3000');
    if (p.expirySlashBps > 100000n) fail('--expiry-slash-bps above 100000');
    if (p.expiryClientShareBps > BPS) fail('--expiry-client-share-bps above 10000');
    if (p.equivocationSlashBps === 0n || p.equivocationSlashBps > BPS) fail('--equivocation-slash-bps outside [1, 10000]');
    if (p.reporterShareBps > BPS) fail('--reporter-share-bps above 10000');
    if (p.attestationMaxAge < 600n || p.attestationMaxAge > 31536000n) fail('--attestation-max-age outside [600, 31536000] s');
    if (p.governanceDelay < 3600n || p.governanceDelay > 2592000n) fail('--governance-delay outside [3600, 2592000] s');
}
