/**
 * The runner's model table: which on-chain model ids it serves, by which backend, with what context.
 *
 * A job names its model by a 32-byte id (SHA-256 of the model's UTF-8 name), fixed in escrow; the
 * encrypted request names it by string. The runner serves a job only if both agree with this table,
 * so a client cannot pay for a cheap model and get an expensive one, or the reverse.
 */
import { createHash } from 'node:crypto';

export const REFERENCE_MODEL_NAME = 'cocoon-reference-v1';

export type BackendKind = 'reference' | 'openai';

export interface ModelEntry {
    name: string; // what the request's `model` field must say
    backend: BackendKind;
    maxContext: number; // input + output tokens the model accepts
}

/** modelId (hex, 64 chars) → entry. */
export type ModelTable = ReadonlyMap<string, ModelEntry>;

export function modelIdFor(name: string): Buffer {
    return createHash('sha256').update(name, 'utf8').digest();
}

export function referenceModelId(): Buffer {
    return modelIdFor(REFERENCE_MODEL_NAME);
}

export function modelTable(entries: ModelEntry[]): ModelTable {
    return new Map(entries.map((e) => [modelIdFor(e.name).toString('hex'), e]));
}

export const REFERENCE_MODEL: ModelEntry = { name: REFERENCE_MODEL_NAME, backend: 'reference', maxContext: 8192 };
