/** The values a relying party pins or binds, extracted from a parsed quote. */
import { Quote } from './quoteTypes';
import { imageHash } from './imageHash';
import { toHex } from './hex';

export interface Measurements {
    mrtd: Uint8Array;
    rtmr0: Uint8Array;
    rtmr1: Uint8Array;
    rtmr2: Uint8Array;
    rtmr3: Uint8Array;
    mrConfigId: Uint8Array;
    mrOwner: Uint8Array;
    mrOwnerConfig: Uint8Array;
    reportData: Uint8Array;
    teeTcbSvn: Uint8Array;
    mrSeam: Uint8Array;
    tdAttributes: Uint8Array;
    xfam: Uint8Array;
    imageHash: Uint8Array;
}

export function extractMeasurements(quote: Quote): Measurements {
    const b = quote.body;
    return {
        mrtd: b.mrTd,
        rtmr0: b.rtmr[0],
        rtmr1: b.rtmr[1],
        rtmr2: b.rtmr[2],
        rtmr3: b.rtmr[3],
        mrConfigId: b.mrConfigId,
        mrOwner: b.mrOwner,
        mrOwnerConfig: b.mrOwnerConfig,
        reportData: b.reportData,
        teeTcbSvn: b.teeTcbSvn,
        mrSeam: b.mrSeam,
        tdAttributes: b.tdAttributes,
        xfam: b.xfam,
        imageHash: imageHash(b.mrTd, b.rtmr),
    };
}

export type MeasurementsHex = { [K in keyof Measurements]: string };

export function measurementsHex(m: Measurements): MeasurementsHex {
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, toHex(v)])) as MeasurementsHex;
}

/** TDATTRIBUTES is a little-endian u64. */
export function tdAttributesValue(tdAttributes: Uint8Array): bigint {
    return tdAttributes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
}
