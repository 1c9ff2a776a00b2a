/**
 * Reading an answer to a request Cocoon made (fetch), with the same hard size cap its servers put on
 * requests (body.ts): a declared length above the cap is refused before a byte is read, and the
 * cap is counted while the body streams, so a lying Content-Length or a chunked answer cannot pass
 * it. Leaving the read loop cancels the stream. A slow body is the caller's deadline to bound: the
 * AbortSignal given to fetch also aborts the body read.
 */
export class ResponseTooLarge extends Error {
    constructor(readonly limitBytes: number) {
        super(`answer above ${limitBytes} bytes`);
    }
}

export async function readCappedText(res: Response, limitBytes: number): Promise<string> {
    if (Number(res.headers.get('content-length') ?? 0) > limitBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new ResponseTooLarge(limitBytes);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > limitBytes) throw new ResponseTooLarge(limitBytes);
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}
