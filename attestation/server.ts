/**
 * HTTP front of the issuer.
 *
 *   POST /v1/certify {quote: base64, globalId, registry, provider, enclaveEd25519: hex, enclaveX25519: hex, runtime}
 *     200 {certificate: base64 BOC, signature: hex, verifierPublicKey: hex, verdict}
 *     422 {error: "quote-refused", verdict}   400 {error, message}   413 body too large
 *   GET /healthz → 200 {ok: true, verifierPublicKey}
 *
 * Binds 127.0.0.1 unless told otherwise: the service holds a signing key and is meant to sit behind
 * a gateway. Logs never include quotes or keys (there is no logging here at all; callers wrap it).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Address } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { QuoteParseError } from './errors';
import { fromHex, toHex } from './hex';
import { parseRuntimeConfig } from './runtimeConfig';
import { certifyQuote, CertifyRequest, IssuerConfig } from './issuer';

/** A quote is ~5 KB (6.7 KB base64); 64 KiB leaves room for larger chains without inviting abuse. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ServerConfig extends IssuerConfig {
    host?: string;
    port?: number;
    maxBodyBytes?: number;
}

export interface RunningServer {
    server: Server;
    url: string;
    close(): Promise<void>;
}

class HttpError extends Error {
    constructor(readonly status: number, readonly code: string, message: string) {
        super(message);
    }
}

export async function startAttestationServer(cfg: ServerConfig): Promise<RunningServer> {
    const server = createServer((req, res) => {
        handle(req, res, cfg).catch((e: unknown) => {
            const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
            send(res, err.status, { error: err.code, message: err.message });
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', resolve);
    });
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return { server, url: `http://${host}:${port}`, close: () => new Promise((r, j) => server.close((e) => (e ? j(e) : r()))) };
}

async function handle(req: IncomingMessage, res: ServerResponse, cfg: ServerConfig): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
        if (req.method !== 'GET') throw new HttpError(405, 'method-not-allowed', 'use GET');
        return send(res, 200, { ok: true, verifierPublicKey: toHex(ed25519.getPublicKey(cfg.secretKey)) });
    }
    if (path !== '/v1/certify') throw new HttpError(404, 'not-found', `no route ${path}`);
    if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', 'use POST');

    const request = parseCertifyBody(await readBody(req, cfg.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
    let outcome;
    try {
        outcome = certifyQuote(request, cfg);
    } catch (e) {
        if (e instanceof QuoteParseError) throw new HttpError(400, 'quote-parse', e.message);
        throw new HttpError(400, 'bad-request', (e as Error).message);
    }
    if (!outcome.issued) return send(res, 422, { error: 'quote-refused', verdict: outcome.verdict });
    send(res, 200, {
        certificate: outcome.cell.toBoc().toString('base64'),
        signature: outcome.signature.toString('hex'),
        verifierPublicKey: toHex(outcome.verifierPublicKey),
        verdict: outcome.verdict,
    });
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return Promise.reject(new HttpError(413, 'body-too-large', `body exceeds ${limit} bytes`));
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > limit) {
                reject(new HttpError(413, 'body-too-large', `body exceeds ${limit} bytes`));
                req.destroy();
            } else chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
    });
}

function parseCertifyBody(raw: Buffer): CertifyRequest {
    let body: Record<string, unknown>;
    try {
        body = JSON.parse(raw.toString('utf8'));
    } catch {
        throw new HttpError(400, 'bad-json', 'body is not JSON');
    }
    if (typeof body !== 'object' || body === null) throw new HttpError(400, 'bad-request', 'body must be a JSON object');
    const field = <T>(name: string, parse: (v: unknown) => T): T => {
        try {
            return parse(body[name]);
        } catch (e) {
            throw new HttpError(400, 'bad-request', `field ${name}: ${(e as Error).message}`);
        }
    };
    const str = (v: unknown) => {
        if (typeof v !== 'string' || v.length === 0) throw new Error('must be a non-empty string');
        return v;
    };
    return {
        quote: field('quote', (v) => {
            const s = str(v);
            if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error('must be base64');
            return new Uint8Array(Buffer.from(s, 'base64'));
        }),
        globalId: field('globalId', (v) => {
            if (!Number.isInteger(v) || (v as number) < -0x80000000 || (v as number) > 0x7fffffff) throw new Error('must be an int32');
            return v as number;
        }),
        registry: field('registry', (v) => Address.parse(str(v))),
        provider: field('provider', (v) => Address.parse(str(v))),
        enclaveEd25519: field('enclaveEd25519', (v) => fromHex(str(v), 32)),
        enclaveX25519: field('enclaveX25519', (v) => fromHex(str(v), 32)),
        runtime: field('runtime', parseRuntimeConfig),
    };
}

function send(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
}
