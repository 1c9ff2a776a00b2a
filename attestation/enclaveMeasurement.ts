/**
 * The enclave measurement: the one 32-byte value governance allow-lists on the Registry (the
 * certificate's and the contracts' `imageHash` field) and clients compare against.
 *
 *   enclaveMeasurement = SHA-256( ASCII "cocoon/enclave/v1"
 *                                 || imageHash (32: MRTD, RTMR0..2, attestation/imageHash.ts)
 *                                 || RTMR3 || MRCONFIGID || MROWNER || MROWNERCONFIG   (48 each)
 *                                 || XFAM || TDATTRIBUTES                             (8 each)
 *                                 || runtimeHash (32, attestation/runtimeConfig.ts) )
 *
 * Why each input: the image hash says which software booted. RTMR3 is whatever the booted software
 * extended at run time — our runner binds its per-boot values through REPORTDATA instead, so an
 * image that extends RTMR3 must do so deterministically and the result is pinned here. MRCONFIGID,
 * MROWNER and MROWNERCONFIG are chosen by whoever launches the TD (the host): unpinned, they let the
 * host hand the TD a configuration nobody reviewed. XFAM (enabled CPU state components) and
 * TDATTRIBUTES (debug, SEPT #VE, PKS, perfmon...) change what the TD exposes to the host. The runtime
 * hash covers the engines, models, weights and tokenizer that see plaintext and count the bill.
 * Pinning exact values keeps the policy one rule: "governance listed exactly this".
 */
import { createHash } from 'node:crypto';
import type { Measurements } from './measurements';

export const ENCLAVE_MEASUREMENT_DOMAIN = 'cocoon/enclave/v1';

export type MeasuredRegisters = Pick<Measurements, 'imageHash' | 'rtmr3' | 'mrConfigId' | 'mrOwner' | 'mrOwnerConfig' | 'xfam' | 'tdAttributes'>;

const SIZES: [keyof MeasuredRegisters, number][] = [
    ['imageHash', 32],
    ['rtmr3', 48],
    ['mrConfigId', 48],
    ['mrOwner', 48],
    ['mrOwnerConfig', 48],
    ['xfam', 8],
    ['tdAttributes', 8],
];

export function enclaveMeasurement(m: MeasuredRegisters, runtimeHash: Uint8Array): Uint8Array {
    if (runtimeHash.length !== 32) throw new Error('runtimeHash must be 32 bytes');
    const h = createHash('sha256').update(ENCLAVE_MEASUREMENT_DOMAIN, 'ascii');
    for (const [name, size] of SIZES) {
        if (m[name].length !== size) throw new Error(`${name} must be ${size} bytes`);
        h.update(m[name]);
    }
    return new Uint8Array(h.update(runtimeHash).digest());
}
