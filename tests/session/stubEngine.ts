/**
 * An OpenAI-compatible engine on 127.0.0.1 that streams its answer one token every `tokenMs`
 * milliseconds (server-sent events with include_usage), the way vLLM does: the last user message's
 * words in reverse order, one word per event, at most max_tokens of them; with `tools`, a call of
 * the first tool instead, streamed as tool_calls deltas. It writes what it does into `events` ('engine:start', 'engine:token', 'engine:done') so a test can order the client's
 * own events against the engine's without timing anything, and counts its requests.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface StubEngine {
    baseUrl: string;
    /** Requests received (a request refused before the engine runs never gets here). */
    readonly requests: number;
    /** Milliseconds between tokens; change it between tests. */
    tokenMs: number;
    /** A shared, ordered log: the engine writes its events, the test writes its own. */
    events: string[];
    close(): Promise<void>;
}

function answerWords(body: Record<string, any>): string[] {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const users = messages.filter((m: { role?: string }) => m.role === 'user');
    const last = users[users.length - 1]?.content ?? body.prompt ?? '';
    const words = String(last).split(/\s+/).filter(Boolean).reverse();
    return words.slice(0, typeof body.max_tokens === 'number' ? body.max_tokens : words.length);
}

/** The arguments the stub's tool call carries: the reversed words, as JSON. */
export const toolArguments = (words: string[]) => JSON.stringify({ words: words.join(' ') });

/**
 * With `tools` in the request, the stub calls the first one the way vLLM streams it: a first delta
 * with the call's id, type and name, then its arguments in pieces (one per word), finish_reason
 * "tool_calls", no content.
 */
async function streamToolCall(res: ServerResponse, base: Record<string, unknown>, body: Record<string, any>, words: string[], engine: { tokenMs: number; events: string[] }) {
    const event = (choice: Record<string, unknown>) => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, ...choice }] })}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    event({ delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_stub_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '' } }] }, finish_reason: null });
    const args = toolArguments(words);
    const cut = Math.ceil(args.length / Math.max(1, words.length));
    for (let i = 0; i < args.length; i += cut) {
        if (res.destroyed) return;
        event({ delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + cut) } }] }, finish_reason: null });
        engine.events.push('engine:token');
        if (engine.tokenMs > 0) await new Promise((r) => setTimeout(r, engine.tokenMs)); // 0: the whole answer at once
    }
    event({ delta: {}, finish_reason: 'tool_calls' });
    res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 100_000, completion_tokens: 1_000, total_tokens: 101_000 } })}\n\n`);
    engine.events.push('engine:done');
    res.end('data: [DONE]\n\n');
}

export async function startStubEngine(tokenMs = 20): Promise<StubEngine> {
    const connections = new Set<ServerResponse>();
    const engine = { requests: 0, tokenMs, events: [] as string[] };
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString());
        engine.requests++;
        engine.events.push('engine:start');
        connections.add(res);
        res.once('close', () => connections.delete(res));
        const words = answerWords(body);
        const base = { id: 'stub-1', created: 1700000000, model: body.model, object: 'chat.completion.chunk' };
        if (Array.isArray(body.tools) && body.tools.length) return streamToolCall(res, base, body, words, engine);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < words.length; i++) {
            if (res.destroyed) return;
            const delta = i === 0 ? { role: 'assistant', content: words[i] } : { content: ` ${words[i]}` };
            res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
            engine.events.push('engine:token');
            if (engine.tokenMs > 0) await new Promise((r) => setTimeout(r, engine.tokenMs)); // 0: the whole answer at once
        }
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: words.length < answerWords({ ...body, max_tokens: undefined }).length ? 'length' : 'stop' }] })}\n\n`);
        // A template's tokens inflate what an engine reports; the runner bills its own, smaller count.
        res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 100_000, completion_tokens: words.length * 2, total_tokens: 100_000 + words.length * 2 } })}\n\n`);
        engine.events.push('engine:done');
        res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return Object.assign(engine, {
        baseUrl: `http://127.0.0.1:${port}/v1`,
        close: () => {
            server.closeAllConnections();
            return new Promise<void>((r) => server.close(() => r()));
        },
    });
}
