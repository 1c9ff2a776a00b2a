// Reads a request body as JSON, with a size cap: contract deploy BOCs can be large, but an
// unbounded body is an easy way to exhaust memory.
import { IncomingMessage } from 'node:http';
import { badRequest } from '../rpc/errors';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) throw badRequest(`body larger than ${MAX_BODY_BYTES} bytes`);
        chunks.push(chunk as Buffer);
    }
    if (size === 0) return {};
    let value: unknown;
    try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
        throw badRequest('body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('body must be a JSON object');
    return value as Record<string, unknown>;
}
