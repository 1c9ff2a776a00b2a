// Bad requests get OpenAI's 400/413 shapes before anything is paid (the review got a 500 for a
// message without a role, a paid job for `content: 12345`, `n: "2"` passing, 503 no_provider for
// `max_tokens: 1e9`, a connection reset instead of the documented 413 above 1 MiB, and parameters the
// engine cannot honour dropped silently).
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { MAX_PLAINTEXT_BYTES } from '../../crypto';
import type { Gateway } from '../../gateway/server';
import { BODY_LIMIT_BYTES } from '../../gateway/server';
import { open } from '../../protocol/tonClient';
import { Provider } from '../../wrappers/Provider';
import { startWorld, World } from '../sdk/world';
import { gatewayFor } from './helpers';
import { postChunked } from '../http/helpers';

describe('gateway: request validation', () => {
    let w: World;
    let gateway: Gateway;
    const jobs = async () => (await open(w.demo.client, Provider.fromAddress(w.provider)).getLedger()).nextJobId;
    const chat = (body: unknown) => fetch(`${gateway.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    beforeAll(async () => {
        w = await startWorld();
        ({ gateway } = await gatewayFor(w));
    });
    afterAll(async () => {
        await gateway.close();
        await w.stop();
    });

    it.each([
        ['a message without a role', { messages: [{ content: 'hi' }] }, 'invalid_request'],
        ['a number as content', { messages: [{ role: 'user', content: 12345 }] }, 'invalid_request'],
        ['n as a string', { messages: [{ role: 'user', content: 'hi' }], n: '2' }, 'invalid_request'],
        ['max_tokens beyond the context', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1e9 }, 'context_length_exceeded'],
        ['tools the reference engine cannot call', { messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }] }, 'unsupported_parameter'],
        ['a JSON response format', { messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } }, 'unsupported_parameter'],
        ['stop sequences', { messages: [{ role: 'user', content: 'hi' }], stop: ['\n'] }, 'unsupported_parameter'],
    ])('answers 400 to %s, and pays nothing', async (_what, body, code) => {
        const before = await jobs();
        const res = await chat({ model: REFERENCE_MODEL_NAME, ...body });
        expect(res.status).toBe(400);
        expect(((await res.json()) as any).error.code).toBe(code);
        expect(await jobs()).toBe(before);
    });

    it('answers 413 to a prompt too large for any job envelope, and pays nothing', async () => {
        const before = await jobs();
        const res = await chat({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'word '.repeat(MAX_PLAINTEXT_BYTES / 5) }] });
        expect(res.status).toBe(413);
        expect(((await res.json()) as any).error.code).toBe('request_too_large');
        expect(await jobs()).toBe(before);
    });

    it('answers 413 (not a connection reset) to a body above the limit', async () => {
        const res = await fetch(`${gateway.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(BODY_LIMIT_BYTES + 512 * 1024) });
        expect(res.status).toBe(413);
        expect(((await res.json()) as any).error.code).toBe('request_too_large');
    });

    it('answers 413 to a chunked body above the limit too (no Content-Length to check first), in OpenAI\'s shape', async () => {
        const res = await postChunked(`${gateway.url}/chat/completions`, 64 * 1024, BODY_LIMIT_BYTES / (64 * 1024) + 4);
        expect(res.status).toBe(413);
        expect(res.headers.get('x-should-retry')).toBe('false');
        expect(await res.json()).toEqual({ error: { message: `request body above ${BODY_LIMIT_BYTES} bytes`, type: 'invalid_request_error', param: null, code: 'request_too_large' } });
    });
});
