/**
 * Cocoon image hash: one 32-byte value identifying "which software runs in the TD".
 *
 *   imageHash = SHA-256( "cocoon/image/v1" || MRTD || RTMR0 || RTMR1 || RTMR2 )   (48 bytes each)
 *
 * MRTD measures the initial TD memory (firmware); RTMR0 the firmware configuration, RTMR1 the
 * kernel/boot loader and RTMR2 the kernel command line and initrd: it names the software that booted.
 * RTMR3, the host-chosen registers and the runtime configuration are added on top of it by the
 * enclave measurement (attestation/enclaveMeasurement.ts), which is what governance allow-lists.
 * The ASCII prefix domain-separates this hash from every other SHA-256 in the protocol.
 */
import { createHash } from 'node:crypto';

export const IMAGE_HASH_DOMAIN = 'cocoon/image/v1';
const MEASUREMENT_SIZE = 48;

export function imageHash(mrtd: Uint8Array, rtmr: readonly Uint8Array[]): Uint8Array {
    const parts = [mrtd, rtmr[0], rtmr[1], rtmr[2]];
    if (parts.some((p) => !p || p.length !== MEASUREMENT_SIZE)) throw new Error('imageHash needs MRTD and RTMR0..2 of 48 bytes each');
    const h = createHash('sha256').update(IMAGE_HASH_DOMAIN, 'ascii');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
}
