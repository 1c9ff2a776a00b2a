/**
 * A small OpenAI-compatible server on 127.0.0.1 for the openai backend tests: chat and completions,
 * streaming (with include_usage) and not; "fail-model" answers 500, "hang-model" never answers,
 * "inflate-model" claims 256 output tokens for a three-token answer, "redirect-model" answers
 * 307 to `redirectTo` (a hostile engine pointing the runner elsewhere).
 * It records each request body so tests can see what the runner sent upstream.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeUpstream {
    baseUrl: string;
    requests: Array<Record<string, any>>;
    close(): Promise<void>;
}

const USAGE = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 };
const WORDS = ['Hello', ' from', ' upstream'];

function stream(res: ServerResponse, body: Record<string, any>, chat: boolean) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const base = { id: 'up-1', created: 1700000000, model: body.model, object: chat ? 'chat.completion.chunk' : 'text_completion' };
    WORDS.forEach((w, i) => {
        const choice = chat ? { index: 0, delta: i === 0 ? { role: 'assistant', content: w } : { content: w }, finish_reason: null } : { index: 0, text: w, finish_reason: null };
        res.write(`data: ${JSON.stringify({ ...base, choices: [choice] })}\n\n`);
    });
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, text: '', finish_reason: 'stop' }] })}\n\n`);
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: USAGE })}\n\n`);
    res.end('data: [DONE]\n\n');
}

function whole(res: ServerResponse, body: Record<string, any>, chat: boolean) {
    const text = WORDS.join('');
    const choice = chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' };
    const usage = body.model === 'inflate-model' ? { prompt_tokens: 4000, completion_tokens: 256, total_tokens: 4256 } : USAGE;
    const reply = { id: 'up-1', object: chat ? 'chat.completion' : 'text_completion', created: 1700000000, model: body.model, choices: [choice], usage };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
}

export async function startFakeUpstream(options: { redirectTo?: string } = {}): Promise<FakeUpstream> {
    const requests: Array<Record<string, any>> = [];
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString());
        requests.push(body);
        const chat = req.url === '/v1/chat/completions';
        if (!chat && req.url !== '/v1/completions') return void res.writeHead(404).end();
        if (body.model === 'fail-model') return void res.writeHead(500).end('{"error":"overloaded"}');
        if (body.model === 'hang-model') return; // never answers; the runner's timeout must fire
        if (body.model === 'redirect-model') return void res.writeHead(307, { location: `${options.redirectTo}${req.url}` }).end();
        return body.stream ? stream(res, body, chat) : whole(res, body, chat);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return {
        baseUrl: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () => {
            server.closeAllConnections();
            return new Promise((r) => server.close(() => r()));
        },
    };
}
