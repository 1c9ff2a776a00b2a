// Real streaming through the gateway (issue 13): with an engine that emits a token every 20 ms, the
// official openai client receives the first text delta before the engine has finished. The order is
// read from one shared event log (the engine writes its events, the test its own), not from clocks.
import OpenAI from 'openai';
import { startGateway, Gateway } from '../../gateway/server';
import { startSessionWorld, startStreamRunner, SessionWorld, STREAM_MODEL } from '../session/world';

jest.setTimeout(180_000);

const WORDS = 25;

describe('gateway: streaming from a slow engine', () => {
    let w: SessionWorld;
    let gateway: Gateway;
    let openai: OpenAI;
    let runner: Awaited<ReturnType<typeof startStreamRunner>>;
    beforeAll(async () => {
        w = await startSessionWorld({ tokenMs: 20 });
        runner = await startStreamRunner(w);
        gateway = await startGateway({ sdk: w.streamSdk(runner), port: 0 });
        openai = new OpenAI({ baseURL: gateway.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    });
    afterAll(async () => {
        await gateway?.close();
        await runner?.server.close();
        await w?.stop();
    });

    it('the first text delta reaches the openai client before the engine has finished', async () => {
        const words = Array.from({ length: WORDS }, (_, i) => `word${i}`);
        // The session opens on the first request; stream the second, so only the answer is timed by order.
        await openai.chat.completions.create({ model: STREAM_MODEL, messages: [{ role: 'user', content: 'open the session' }], max_tokens: 8 });
        w.engine.events.length = 0;
        const stream = await openai.chat.completions.create({
            model: STREAM_MODEL, messages: [{ role: 'user', content: words.join(' ') }], max_tokens: 64, stream: true, stream_options: { include_usage: true },
        });
        const deltas: string[] = [];
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of stream) {
            const text = chunk.choices[0]?.delta?.content;
            if (text) {
                if (deltas.length === 0) w.engine.events.push('client:first-text');
                deltas.push(text);
            }
            if (chunk.usage) usage = chunk.usage;
        }
        w.engine.events.push('client:end');
        const at = (e: string) => w.engine.events.indexOf(e);
        expect(at('engine:start')).toBe(0);
        expect(at('client:first-text')).toBeGreaterThan(0);
        expect(at('client:first-text')).toBeLessThan(at('engine:done'));
        // Tokens the engine had emitted when the first text arrived: a few at most, never all of them.
        expect(w.engine.events.slice(0, at('client:first-text')).filter((e) => e === 'engine:token').length).toBeLessThan(WORDS);
        expect(deltas.length).toBeGreaterThan(1);
        expect(deltas.join('')).toBe([...words].reverse().join(' '));
        expect(usage!.completion_tokens).toBeGreaterThan(0);
    });
});
