/**
 * Tool calls from an engine that streams them as tool_calls deltas (stubEngine.ts with `tools`):
 * assembled into message.tool_calls for a job (enclave/backends/sseAssemble.ts) and for the
 * gateway's replay of a job's answer as SSE; in session mode carried whole in the final chunk,
 * covered by the voucher's usage and transcript, and on to the SDK's ChatResult and, through the
 * gateway, to the official OpenAI client, streamed (tool_calls deltas) and not, with finish_reason
 * "tool_calls".
 */
import OpenAI from 'openai';
import { toNano } from '@ton/core';
import { openAiBackend } from '../../enclave/backends/openai';
import { parseRequest } from '../../enclave/request';
import { streamEvents } from '../../gateway/openai';
import { startGateway } from '../../gateway/server';
import { answerOf, INITIAL_TRANSCRIPT, nextTranscript } from '../../protocol/sessionWire';
import { priceOf } from '../../protocol/voucher';
import { voucherFromJson } from '../../protocol/voucherJson';
import { countTokens } from '../../enclave/tokens';
import { ask, chat, Harness, mustHandshake, newClientKey, PRICE_IN, PRICE_OUT, startHarness } from './runnerHarness';
import { startStubEngine, StubEngine, toolArguments } from './stubEngine';
import { SessionWorld, startSessionWorld, startStreamRunner, STREAM_MODEL, StreamRunner } from './world';
import type { EnclaveServer } from '../../enclave/server';

jest.setTimeout(180_000);

const TOOLS = [{ type: 'function' as const, function: { name: 'lookup', description: 'looks words up', parameters: { type: 'object', properties: { words: { type: 'string' } } } } }];
const PROMPT = 'call the tool please';
const ARGS = toolArguments(PROMPT.split(' ').reverse());
const CALL = { id: 'call_stub_1', type: 'function', function: { name: 'lookup', arguments: ARGS } };

describe('tool calls without a chain', () => {
    let engine: StubEngine;
    let h: Harness;
    beforeAll(async () => {
        engine = await startStubEngine(1);
        h = await startHarness({ backend: openAiBackend({ baseUrl: engine.baseUrl, stream: true }) });
    });
    afterAll(async () => {
        await h?.close();
        await engine?.close();
    });

    it('a job assembles the streamed tool_calls deltas into message.tool_calls, content null, finish_reason tool_calls', async () => {
        const backend = openAiBackend({ baseUrl: engine.baseUrl, stream: true });
        const req = parseRequest(Buffer.from(JSON.stringify(chat(PROMPT, { tools: TOOLS }))));
        const { response } = await backend.run(req, AbortSignal.timeout(10_000));
        expect((response.choices as unknown[])[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, tool_calls: [CALL] }, finish_reason: 'tool_calls' });
    });

    it('the gateway replays a job\'s tool calls as a tool_calls delta', () => {
        const response = { id: 'x', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [CALL] }, finish_reason: 'tool_calls' }] };
        const events = streamEvents('chat', response, false).slice(0, -1).map((e) => JSON.parse(e));
        expect(events.map((e) => e.choices[0].delta)).toEqual([{ role: 'assistant', content: '' }, { tool_calls: [{ index: 0, ...CALL }] }, {}]);
        expect(events[2].choices[0].finish_reason).toBe('tool_calls');
    });

    it('a session\'s final chunk carries the tool calls whole, billed and chained into the voucher\'s transcript', async () => {
        const client = newClientKey();
        h.open(1n, client);
        const c = await mustHandshake(h, 1n, client);
        const a = await ask(h, c, chat(PROMPT, { tools: TOOLS }));
        expect(a.text).toBe(''); // no content: nothing but the call
        expect(a.final!.tool_calls).toEqual([CALL]);
        expect(a.final!.finish_reason).toBe('tool_calls');
        const answer = answerOf('', a.final!.tool_calls);
        const v = voucherFromJson(a.final!.voucher).voucher;
        // Billed: the own count of what the client received (the engine claimed 1,000), which the call is.
        expect(v.outputTokens).toBe(BigInt(countTokens(answer)));
        expect(v.outputTokens).toBeGreaterThan(0n);
        expect(v.charge).toBe(priceOf(v.inputTokens, v.outputTokens, PRICE_IN, PRICE_OUT));
        expect(v.transcript).toBe(nextTranscript(INITIAL_TRANSCRIPT, a.plaintext, Buffer.from(answer, 'utf8')));
    });
});

describe('tool calls through the SDK and the gateway (devnet)', () => {
    let w: SessionWorld;
    let runner: StreamRunner & { server: EnclaveServer };
    beforeAll(async () => {
        w = await startSessionWorld({ tokenMs: 1 });
        runner = await startStreamRunner(w);
    });
    afterAll(async () => {
        await runner?.server.close();
        await w?.stop();
    });

    it('the SDK gets them in ChatResult.toolCalls with finish_reason tool_calls, and checks the voucher over them', async () => {
        const session = await w.streamSdk(runner).openSession({ model: STREAM_MODEL, deposit: toNano('1') });
        const stream = session.chat({ model: STREAM_MODEL, messages: [{ role: 'user', content: PROMPT }], tools: TOOLS });
        const deltas: string[] = [];
        for await (const d of stream) deltas.push(d);
        const r = await stream.result;
        expect(deltas).toEqual([]);
        expect(r.toolCalls).toEqual([CALL]);
        expect(r.finishReason).toBe('tool_calls');
        expect(r.usage.outputTokens).toBe(countTokens(answerOf('', r.toolCalls)));
        // The conversation goes on with the tool's result; the session's next voucher chains on.
        const next = await session.chat({
            model: STREAM_MODEL,
            messages: [{ role: 'user', content: PROMPT }, { role: 'assistant', content: null, tool_calls: r.toolCalls }, { role: 'tool', tool_call_id: CALL.id, content: 'found them' }, { role: 'user', content: 'thanks a lot' }],
        }).result;
        expect([next.text, next.toolCalls, next.voucher.seq]).toEqual(['lot a thanks', undefined, 2n]);
        await session.close();
    });

    it('an OpenAI client gets them through the gateway: streamed as tool_calls deltas, and in message.tool_calls when not streaming', async () => {
        const gateway = await startGateway({ sdk: w.streamSdk(runner), port: 0, log: () => {} });
        try {
            const openai = new OpenAI({ baseURL: gateway.url, apiKey: 'unused-on-loopback' });
            const whole = await openai.chat.completions.create({ model: STREAM_MODEL, messages: [{ role: 'user', content: PROMPT }], tools: TOOLS });
            expect(whole.choices[0].message.tool_calls).toEqual([CALL]);
            expect(whole.choices[0].message.content).toBeNull();
            expect(whole.choices[0].finish_reason).toBe('tool_calls');

            const stream = await openai.chat.completions.create({ model: STREAM_MODEL, messages: [{ role: 'user', content: PROMPT }], tools: TOOLS, stream: true });
            const calls: Array<{ id?: string; type?: string; name: string; arguments: string }> = [];
            let finish: string | null = null;
            for await (const chunk of stream) {
                for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) {
                    const call = (calls[d.index] ??= { name: '', arguments: '' });
                    call.id ??= d.id;
                    call.type ??= d.type;
                    call.name += d.function?.name ?? '';
                    call.arguments += d.function?.arguments ?? '';
                }
                finish = chunk.choices[0]?.finish_reason ?? finish;
            }
            expect(calls).toEqual([{ id: CALL.id, type: 'function', name: 'lookup', arguments: ARGS }]);
            expect(finish).toBe('tool_calls');
        } finally {
            await gateway.close();
        }
    });
});
