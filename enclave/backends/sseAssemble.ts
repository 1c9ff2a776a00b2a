/**
 * Server-sent-event chunks of an OpenAI stream → the equivalent non-streaming response object.
 *
 * Chat chunks carry `choices[i].delta.content` and `choices[i].delta.tool_calls`, completion chunks
 * `choices[i].text`; the last chunk (with include_usage) has empty choices and the `usage`. Stream
 * ends at `data: [DONE]`.
 */
import { BackendError } from './backend';

interface Choice {
    index: number;
    text: string;
    role: string;
    finish_reason: string | null;
    toolCalls: Map<number, { id?: string; type?: string; name: string; arguments: string }>;
}

async function* events(res: Response): AsyncGenerator<string> {
    if (!res.body) throw new BackendError('upstream stream has no body');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = event
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(5).trim())
                .join('\n');
            if (data) yield data;
        }
    }
}

function applyChunk(choices: Map<number, Choice>, chunk: Record<string, any>, onDelta?: (text: string) => void) {
    for (const c of (chunk.choices ?? []) as Array<Record<string, any>>) {
        const choice = choices.get(c.index) ?? { index: c.index, text: '', role: 'assistant', finish_reason: null, toolCalls: new Map() };
        applyToolCalls(choice, c.delta?.tool_calls);
        const piece = c.delta?.content ?? c.text ?? '';
        if (typeof piece !== 'string') throw new BackendError('upstream stream chunk carries non-text content');
        choice.text += piece;
        // One answer per request (several are refused before the engine runs): choice 0 is it.
        if (onDelta && piece && c.index === 0) onDelta(piece);
        if (c.delta?.role) choice.role = c.delta.role;
        if (c.finish_reason) choice.finish_reason = c.finish_reason;
        choices.set(c.index, choice);
    }
}

/**
 * Tool-call deltas (`delta.tool_calls[]`, each with its `index`): the first of a call names its id,
 * type and function name, the later ones carry pieces of its arguments, appended in order.
 */
function applyToolCalls(choice: Choice, deltas: unknown): void {
    if (deltas === undefined || deltas === null) return;
    if (!Array.isArray(deltas)) throw new BackendError('upstream stream chunk carries tool_calls that are not an array');
    for (const d of deltas as Array<Record<string, any>>) {
        if (!Number.isInteger(d?.index)) throw new BackendError('upstream stream tool call delta has no index');
        const call = choice.toolCalls.get(d.index) ?? { name: '', arguments: '' };
        const f = d.function ?? {};
        if ([d.id, d.type, f.name, f.arguments].some((v) => v !== undefined && v !== null && typeof v !== 'string')) throw new BackendError('upstream stream tool call delta carries non-text fields');
        if (d.id) call.id = d.id;
        if (d.type) call.type = d.type;
        call.name += f.name ?? '';
        call.arguments += f.arguments ?? '';
        choice.toolCalls.set(d.index, call);
    }
}

/** A choice's assembled tool calls in OpenAI's message form, in index order (undefined for none). */
function toolCallsOf(choice: Choice) {
    if (!choice.toolCalls.size) return undefined;
    return [...choice.toolCalls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, c]) => ({ id: c.id, type: c.type ?? 'function', function: { name: c.name, arguments: c.arguments } }));
}

/** `onDelta`: called with each piece of choice 0's text as it arrives (session mode streams it on). */
export async function assembleStream(kind: 'chat' | 'completion', res: Response, onDelta?: (text: string) => void): Promise<Record<string, unknown>> {
    const choices = new Map<number, Choice>();
    let first: Record<string, any> | undefined;
    let usage: unknown;
    let done = false;
    for await (const data of events(res)) {
        if (data === '[DONE]') {
            done = true;
            break;
        }
        let chunk: Record<string, any>;
        try {
            chunk = JSON.parse(data);
        } catch {
            throw new BackendError('upstream stream chunk is not JSON');
        }
        first ??= chunk;
        if (chunk.usage) usage = chunk.usage;
        applyChunk(choices, chunk, onDelta);
    }
    if (!done) throw new BackendError('upstream stream ended without [DONE]');
    const ordered = [...choices.values()].sort((a, b) => a.index - b.index);
    const out =
        kind === 'chat'
            ? ordered.map((c) => {
                const toolCalls = toolCallsOf(c);
                // As a non-streamed answer has it: content null when the answer is only tool calls.
                const message = toolCalls ? { role: c.role, content: c.text || null, tool_calls: toolCalls } : { role: c.role, content: c.text };
                return { index: c.index, message, finish_reason: c.finish_reason };
            })
            : ordered.map((c) => ({ index: c.index, text: c.text, finish_reason: c.finish_reason, logprobs: null }));
    return {
        id: first?.id,
        object: kind === 'chat' ? 'chat.completion' : 'text_completion',
        created: first?.created,
        model: first?.model,
        choices: out,
        usage,
    };
}
