// The gateway in its default mode (issue 13): one session per model, requests sent to the enclave
// directly and streamed as the engine produces them, usage and charge from the enclave's voucher,
// which an end user can fetch and verify; the session closes cooperatively when the gateway stops.
import OpenAI from 'openai';
import { Address } from '@ton/core';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { voucherFromJson } from '../../protocol/voucherJson';
import { verifyVoucher } from '../../protocol/voucher';
import { bytesFromBigint } from '../../protocol/signed';
import { chainClient, openProvider } from '../../sdk/chain';
import { startGateway, Gateway } from '../../gateway/server';
import { startWorld, World } from '../sdk/world';

jest.setTimeout(180_000);

describe('gateway: sessions by default', () => {
    let w: World;
    let gateway: Gateway;
    let openai: OpenAI;
    const logs: Record<string, unknown>[] = [];
    beforeAll(async () => {
        w = await startWorld();
        gateway = await startGateway({ sdk: w.newSdk(), port: 0, log: (e) => logs.push(e) });
        openai = new OpenAI({ baseURL: gateway.url, apiKey: 'unused-on-loopback' });
    });
    afterAll(async () => {
        await gateway?.close();
        await w.stop();
    });

    it('answers a chat from the session, with usage and the charge from a voucher anyone can verify', async () => {
        const { data, response } = await openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'hello sessions' }], max_tokens: 32 }).withResponse();
        expect(data.choices[0].message.content).toEqual(expect.any(String));
        expect(data.choices[0].message.content!.length).toBeGreaterThan(0);
        expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
        const sessionId = response.headers.get('x-cocoon-session-id')!;
        const url = response.headers.get('x-cocoon-voucher-url')!;
        expect(url).toBe(`/v1/cocoon/vouchers/${sessionId}/${response.headers.get('x-cocoon-voucher-seq')}`);
        const v = voucherFromJson(await (await fetch(new URL(url, gateway.url).toString())).json());
        // The end user's check: the enclave key the Provider holds for this session signed it.
        const provider = openProvider(chainClient(w.demo.devnet.endpoint), Address.parse(response.headers.get('x-cocoon-provider')!));
        const record = (await provider.getSession(BigInt(sessionId)))!;
        expect(verifyVoucher(v.session, v.voucher, bytesFromBigint(record.enclaveKey))).toBe(true);
        expect(response.headers.get('x-cocoon-charged-nanoton')).toBe(v.voucher.charge.toString());
        // Nothing about the request went on chain but the opening.
        expect(record.lastSeq).toBe(0n);
    });

    it('streams real deltas and ends with usage and the voucher in the last chunk', async () => {
        const stream = await openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'stream please, a few words' }], max_tokens: 48, stream: true, stream_options: { include_usage: true } });
        const deltas: string[] = [];
        let usage: OpenAI.CompletionUsage | undefined;
        let cocoon: { session_id?: string; voucher_seq?: string } | undefined;
        for await (const chunk of stream) {
            const d = chunk.choices[0]?.delta?.content;
            if (d) deltas.push(d);
            if (chunk.usage) {
                usage = chunk.usage;
                cocoon = (chunk as unknown as { cocoon: typeof cocoon }).cocoon;
            }
        }
        expect(deltas.length).toBeGreaterThan(1);
        expect(usage!.completion_tokens).toBeGreaterThan(0);
        expect(cocoon!.voucher_seq).toBe('2'); // the second request of this session
    });

    it('reuses one session per model, and closes it cooperatively on shutdown', async () => {
        const opened = logs.filter((e) => e.event === 'session_opened');
        expect(opened).toHaveLength(1);
        const sessionId = BigInt(opened[0].sessionId as string);
        const provider = openProvider(chainClient(w.demo.devnet.endpoint), Address.parse(opened[0].provider as string));
        await gateway.close();
        expect(logs).toContainEqual(expect.objectContaining({ event: 'session_closed', cooperative: true }));
        expect(await provider.getSession(sessionId)).toBeNull();
    });
});
