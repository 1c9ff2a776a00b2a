// API keys: the gateway refuses to bind beyond loopback without them; with them it wants a bearer
// token and holds each key to its spending limit.
import { toNano } from '@ton/core';
import OpenAI, { AuthenticationError, RateLimitError } from 'openai';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { GatewayConfigError, startGateway } from '../../gateway/server';
import { ApiKeys, reserve } from '../../gateway/auth';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { parseGatewayConfig } from '../../gateway/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, World } from '../sdk/world';

describe('gateway: API keys and spending limits', () => {
    let w: World;
    beforeAll(async () => {
        w = await startWorld({ relayer: true });
    });
    afterAll(() => w.stop());

    it('refuses to bind a non-loopback address without API keys', async () => {
        await expect(startGateway({ sdk: w.sdk, host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(GatewayConfigError);
    });

    it('binds beyond loopback with keys, and answers 401 without a valid bearer token', async () => {
        const gateway = await startGateway({ sdk: w.newSdk(), host: '0.0.0.0', port: 0, apiKeys: [{ key: 'sk-good' }] });
        try {
            const url = gateway.url.replace('0.0.0.0', '127.0.0.1');
            const bad = new OpenAI({ baseURL: url, apiKey: 'sk-bad' });
            await expect(bad.models.list()).rejects.toBeInstanceOf(AuthenticationError);
            const good = new OpenAI({ baseURL: url, apiKey: 'sk-good' });
            expect((await good.models.list()).data.map((m) => m.id)).toEqual([REFERENCE_MODEL_NAME]);
        } finally {
            await gateway.close();
        }
    });

    it('holds a key to its spending limit: the job that would pass it is refused with 429', async () => {
        const gateway = await startGateway({ sdk: w.newSdk(), port: 0, apiKeys: [{ key: 'sk-small', limit: toNano('0.1') }, { key: 'sk-tiny', limit: 1n }] });
        try {
            const small = new OpenAI({ baseURL: gateway.url, apiKey: 'sk-small' });
            const r = await small.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'within budget' }] });
            expect(r.choices[0].message.content).toBe('budget within');
            const tiny = new OpenAI({ baseURL: gateway.url, apiKey: 'sk-tiny' });
            const err = await tiny.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'too dear' }] }).catch((e) => e);
            expect(err).toBeInstanceOf(RateLimitError);
            expect(err).toMatchObject({ status: 429, code: 'spending_limit_exceeded', type: 'insufficient_quota' });
        } finally {
            await gateway.close();
        }
    });
});

// The review spent 0.165 TON on a 0.1 TON key across one restart: limits lived in memory only.
describe('gateway: spending survives restarts', () => {
    const file = () => join(mkdtempSync(join(tmpdir(), 'cocoon-spend-')), 'spending.sqlite');

    it('remembers what a key spent, and books a job in flight at its worst case until it ends', () => {
        const db = file();
        const first = new ApiKeys([{ key: 'sk-persisted', limit: toNano('0.1') }], db);
        const account = first.authenticate('Bearer sk-persisted')!;
        reserve(account, toNano('0.04'))(toNano('0.03')); // a finished job: its real cost
        reserve(account, toNano('0.05')); // in flight when the process dies
        first.close();

        const second = new ApiKeys([{ key: 'sk-persisted', limit: toNano('0.1') }], db);
        const again = second.authenticate('Bearer sk-persisted')!;
        expect(again.spent).toBe(toNano('0.08'));
        expect(() => reserve(again, toNano('0.03'))).toThrow(/spending limit/);
        reserve(again, toNano('0.02'))(toNano('0.02'));
        second.close();
    });
});

// The review saw API keys in `ps`: they came from a flag. Now from a file or the environment only.
describe('gateway: API keys never on the command line', () => {
    it('reads keys from a file (one per line, comments allowed) or the environment', () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-keys-'));
        const path = join(dir, 'keys');
        writeFileSync(path, '# gateway keys\nsk-file-one:0.5\nsk-file-two\n');
        const base = { endpoint: 'http://127.0.0.1:1/jsonRPC', registry: 'EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF' };
        const fromFile = parseGatewayConfig({ ...base, apiKeysFile: path }, {});
        expect(fromFile.apiKeys.map((k) => k.key)).toEqual(['sk-file-one', 'sk-file-two']);
        expect(fromFile.apiKeys[0].limit).toBe(toNano('0.5'));
        const fromEnv = parseGatewayConfig(base, { COCOON_GATEWAY_API_KEYS: 'sk-env-key-1' });
        expect(fromEnv.apiKeys.map((k) => k.key)).toEqual(['sk-env-key-1']);
        expect(() => parseGatewayConfig({ ...base, apiKeysFile: join(dir, 'missing') }, {})).toThrow(/cannot read/);
    });
});
