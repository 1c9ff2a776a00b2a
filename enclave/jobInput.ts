/**
 * The job as the relayer posts it (POST /v1/jobs), checked field by field.
 *
 * A malformed job input is the relayer's fault and gets HTTP 400; only once provider, jobId and
 * globalId are valid can the runner sign anything (a decline must name the job it declines).
 */
import { Address, Cell } from '@ton/core';

export interface JobInputJson {
    globalId: number;
    provider: string; // raw address "wc:hex"
    jobId: string; // decimal uint64
    modelId: string; // hex, 32 bytes
    maxInputTokens: number;
    maxOutputTokens: number;
    clientResultKey: string; // hex, 32 bytes
    payload: string; // base64 BOC of the byte tree of the request envelope
}

export interface JobInput {
    globalId: number;
    provider: Address;
    jobId: bigint;
    modelId: Buffer;
    maxInputTokens: number;
    maxOutputTokens: number;
    clientResultKey: Buffer;
    payload: string;
    /** Representation hash of the payload tree (payloadHashOf), computed once when the job is parsed. */
    payloadHash: bigint;
}

export class JobInputError extends Error {}

/**
 * The hash of the payload tree this runner was given: every receipt and decline signs it, so an
 * answer counts only for the job created with exactly this payload. A payload that is not a BOC
 * gets hash 0, and its decline can end no job.
 */
function payloadHashOf(payload: string): bigint {
    try {
        return BigInt('0x' + Cell.fromBoc(Buffer.from(payload, 'base64'))[0].hash().toString('hex'));
    } catch {
        return 0n;
    }
}

const UINT64_MAX = 0xffffffffffffffffn;

function field<T>(ok: boolean, value: T, message: string): T {
    if (!ok) throw new JobInputError(message);
    return value;
}

const isUint32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const isHex32 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v);

function parseProvider(v: unknown): Address {
    if (typeof v !== 'string' || !Address.isRaw(v)) throw new JobInputError('"provider" must be a raw address "wc:hex"');
    return Address.parseRaw(v);
}

function parseJobId(v: unknown): bigint {
    if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v) || BigInt(v) > UINT64_MAX) {
        throw new JobInputError('"jobId" must be a decimal uint64 string');
    }
    return BigInt(v);
}

export function parseJobInput(body: unknown): JobInput {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new JobInputError('job must be a JSON object');
    const j = body as Record<string, unknown>;
    const gid = j.globalId;
    const payload = field(typeof j.payload === 'string', j.payload as string, '"payload" must be a base64 string');
    return {
        globalId: field(Number.isInteger(gid) && (gid as number) >= -0x80000000 && (gid as number) <= 0x7fffffff, gid as number, '"globalId" must be an int32'),
        provider: parseProvider(j.provider),
        jobId: parseJobId(j.jobId),
        modelId: Buffer.from(field(isHex32(j.modelId), j.modelId as string, '"modelId" must be 32 bytes of hex'), 'hex'),
        maxInputTokens: field(isUint32(j.maxInputTokens), j.maxInputTokens as number, '"maxInputTokens" must be a uint32'),
        maxOutputTokens: field(isUint32(j.maxOutputTokens), j.maxOutputTokens as number, '"maxOutputTokens" must be a uint32'),
        clientResultKey: Buffer.from(field(isHex32(j.clientResultKey), j.clientResultKey as string, '"clientResultKey" must be 32 bytes of hex'), 'hex'),
        payload,
        payloadHash: payloadHashOf(payload),
    };
}
