import { Cell } from '@ton/core';
import { startAttestationServer, RunningServer } from '../../attestation/server';
import { verifyCell } from '../../protocol/signed';
import { devSetup } from './devFixture';
import { postChunked } from '../http/helpers';

describe('attestation HTTP service', () => {
    const s = devSetup();
    let srv: RunningServer;
    const body = {
        quote: Buffer.from(s.quote).toString('base64'),
        globalId: s.globalId,
        registry: s.registry.toString(),
        provider: s.provider.toRawString(),
        enclaveEd25519: Buffer.from(s.enclaveEd25519).toString('hex'),
        enclaveX25519: Buffer.from(s.enclaveX25519).toString('hex'),
        runtime: s.runtime,
    };
    const post = (payload: unknown) =>
        fetch(`${srv.url}/v1/certify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof payload === 'string' ? payload : JSON.stringify(payload) });

    beforeAll(async () => {
        srv = await startAttestationServer({ port: 0, secretKey: s.secretKey, verify: { trustAnchorPem: s.authority.rootPem }, maxBodyBytes: 16 * 1024 });
    });
    afterAll(() => srv.close());

    it('binds 127.0.0.1 by default and answers /healthz', async () => {
        expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const res = await fetch(`${srv.url}/healthz`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as any).ok).toBe(true);
    });

    it('certifies a valid quote', async () => {
        const res = await post(body);
        expect(res.status).toBe(200);
        const j = (await res.json()) as any;
        const cell = Cell.fromBoc(Buffer.from(j.certificate, 'base64'))[0];
        expect(verifyCell(cell, Buffer.from(j.signature, 'hex'), Buffer.from(j.verifierPublicKey, 'hex'))).toBe(true);
        expect(j.verdict.valid).toBe(true);
    });

    it('refuses a quote bound to other keys with 422 and the verdict', async () => {
        const res = await post({ ...body, enclaveX25519: '00'.repeat(32) });
        expect(res.status).toBe(422);
        const j = (await res.json()) as any;
        expect(j.error).toBe('quote-refused');
        expect(j.verdict.errors[0].check).toBe('report-data');
    });

    it('answers malformed requests with clear JSON errors', async () => {
        const cases: [unknown, number, string][] = [
            ['{not json', 400, 'invalid_json'],
            [{ ...body, quote: Buffer.from('garbage').toString('base64') }, 400, 'quote-parse'],
            [{ ...body, quote: '***' }, 400, 'bad-request'],
            [{ ...body, globalId: 1.5 }, 400, 'bad-request'],
            [{ ...body, provider: 'nope' }, 400, 'bad-request'],
            [{ ...body, enclaveEd25519: 'abcd' }, 400, 'bad-request'],
            [{ ...body, runtime: undefined }, 400, 'bad-request'],
            // An engine outside the VM would see decrypted prompts: never certified.
            [{ ...body, runtime: { ...s.runtime, models: [{ ...s.runtime.models[0], backend: 'openai', engine: 'http://203.0.113.7/v1', weightsSha256: 'ab'.repeat(32) }] } }, 400, 'bad-request'],
            [{ ...body, quote: 'A'.repeat(20000) }, 413, 'request_too_large'],
        ];
        for (const [payload, status, error] of cases) {
            const res = await post(payload);
            const j = (await res.json()) as any;
            expect([status, error]).toEqual([res.status, j.error]);
            expect(typeof (j.message ?? j.verdict)).not.toBe('undefined');
        }
        expect((await fetch(`${srv.url}/v1/nothing`)).status).toBe(404);
        expect((await fetch(`${srv.url}/v1/certify`)).status).toBe(405);
    });

    // The layer's hostile cases are tested once in tests/http; here, that the verifier is wired to it.
    it('answers a chunked body above the limit with 413, and refuses web pages', async () => {
        const res = await postChunked(`${srv.url}/v1/certify`, 8 * 1024, 4);
        expect([res.status, ((await res.json()) as any).error]).toEqual([413, 'request_too_large']);
        const page = await fetch(`${srv.url}/v1/certify`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: JSON.stringify(body) });
        expect([page.status, ((await page.json()) as any).error]).toEqual([403, 'forbidden_origin']);
        const unlabelled = await fetch(`${srv.url}/v1/certify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
        expect(unlabelled.status).toBe(415);
    });
});
