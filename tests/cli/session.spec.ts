// `cocoon session open|status|topup|close|settle` as users run them (`node bin/cocoon.js ...`) against
// the demo network: a whole session with commands only, each sending command run twice sending once
// where that applies, and the checks that refuse before anything is sent.
import { toNano } from '@ton/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import { bigintFromBytes } from '../../protocol/signed';
import { VoucherJson } from '../../protocol/voucherJson';
import { openProvider } from '../../sdk/chain';
import { closeSession, openSession, session, tokensFor, voucherJson } from '../relayer/sessionWorld';
import { startWorld, World } from '../sdk/world';
import { cocoon } from './cocoonBin';

jest.setTimeout(300_000);

describe('cocoon session against the demo network', () => {
    let w: World;
    let env: Record<string, string>;
    let dir: string;
    let trustRoot: string;
    let files = 0;
    beforeAll(async () => {
        w = await startWorld({ relayer: false });
        dir = mkdtempSync(join(tmpdir(), 'cocoon-session-cli-'));
        trustRoot = join(dir, 'dev-root.pem');
        writeFileSync(trustRoot, w.devRootPem);
        env = { COCOON_ENDPOINT: w.demo.devnet.endpoint, COCOON_REGISTRY: w.registry.toString(), COCOON_WALLET_MNEMONIC: w.mnemonic.join(' ') };
    });
    afterAll(() => w.stop());

    const run = (args: string[], e = env) => cocoon(args, e, 90_000);
    const json = async (args: string[], e = env) => {
        const r = await run([...args, '--json'], e);
        expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 0, '']);
        return JSON.parse(r.stdout);
    };
    const voucherFile = (v: VoucherJson) => {
        const file = join(dir, `voucher-${files++}.json`);
        writeFileSync(file, JSON.stringify(v));
        return file;
    };
    const P = () => w.provider.toString();

    it('refuses before sending: a forged voucher, a stranger closing, a top-up while closing (3); an unknown model (2); an unknown session (1)', async () => {
        const s = await openSession(w); // the client is a wallet of its own, not the CLI's
        const opened = (await session(w, s.id))!;
        const stranger = ed25519.keygen();
        const forged = await run(['session', 'settle', '--voucher', voucherFile(voucherJson(w, s.id, 1n, 0n, tokensFor('0.1'), { sign: (h) => Buffer.from(ed25519.sign(h, stranger.secretKey)) }))]);
        expect([forged.code, forged.stderr]).toEqual([3, "cocoon: the voucher is not signed by the session's enclave key: nothing sent\n"]);
        const close = await run(['session', 'close', P(), String(s.id)]);
        expect(close.code).toBe(3);
        expect(close.stderr).toMatch(/only the session's client .* may close it/);
        await closeSession(w, s);
        const topup = await run(['session', 'topup', P(), String(s.id), '--amount', '1']);
        expect([topup.code, topup.stderr]).toEqual([3, `cocoon: session ${s.id} is closing: it takes no top-up\n`]);
        const model = await run(['session', 'open', '--provider', P(), '--model', 'gpt-4o', '--deposit', '1', '--key-file', join(dir, 'unused.key')]);
        expect(model.code).toBe(2);
        expect(model.stderr).toContain('unknown model "gpt-4o"');
        const unknown = await run(['session', 'status', P(), '999999', '--json']);
        expect(unknown.code).toBe(1);
        expect(JSON.parse(unknown.stdout)).toEqual({ state: 'unknown', sessionId: '999999' });
        const rec = (await session(w, s.id))!;
        expect([rec.lastSeq, rec.paid, rec.deposit]).toEqual([0n, 0n, opened.deposit]);
    });

    it('close --voucher: anyone delivers the final voucher, which settles and refunds the rest at once; a voucher not final is exit 2', async () => {
        const s = await openSession(w);
        const deposit = (await session(w, s.id))!.deposit;
        const notFinal = await run(['session', 'close', P(), String(s.id), '--voucher', voucherFile(voucherJson(w, s.id, 1n, 0n, tokensFor('0.02')))]);
        expect([notFinal.code, notFinal.stderr]).toEqual([2, 'cocoon: --voucher: not a final voucher (the enclave marks the one it signs when the client asks to close)\n']);
        const v = voucherJson(w, s.id, 2n, 500n, tokensFor('0.03'), { final: true });
        const closed = await json(['session', 'close', P(), String(s.id), '--voucher', voucherFile(v)]);
        expect(closed).toMatchObject({ ok: true, sent: true, action: 'close-with-voucher', state: 'ended', refund: (deposit - BigInt(v.charge)).toString(), client: s.client.address.toString() });
        expect(await session(w, s.id)).toBeNull();
    });

    it('a voucher too small to pay its external delivery is refused with nothing charged (1); --wallet settles it', async () => {
        const s = await openSession(w);
        const file = voucherFile(voucherJson(w, s.id, 1n, 0n, tokensFor('0.001')));
        const external = await run(['session', 'settle', '--voucher', file]);
        expect(external.code).toBe(1);
        expect(external.stderr).toMatch(/ERR_NOTHING_TO_PAY \(exit code 1218\): the voucher adds too little to pay its external delivery; --wallet/);
        expect((await session(w, s.id))!.lastSeq).toBe(0n);
        const viaWallet = await json(['session', 'settle', '--voucher', file, '--wallet']);
        expect(viaWallet).toMatchObject({ ok: true, sent: true, via: 'wallet', lastSeq: '1', paid: toNano('0.001').toString() });
    });

    // Last: moves the devnet clock past the session's window.
    it('open → status → topup → settle (twice: sent once) → close (twice: sent once) → after the window close refunds → status ended', async () => {
        const keyFile = join(dir, 'client.key');
        const opened = await json(['session', 'open', '--provider', P(), '--model', REFERENCE_MODEL_NAME, '--deposit', '1', '--ttl', '600', '--key-file', keyFile, '--trust-root', trustRoot]);
        expect(opened).toMatchObject({ ok: true, txHash: expect.any(String), state: 'open', keyCreated: true, lastSeq: '0', paid: '0', closing: false });
        const id = BigInt(opened.sessionId);
        expect(statSync(keyFile).mode & 0o777).toBe(0o600);
        const secret = readFileSync(keyFile, 'utf8').trim();
        expect(opened.clientKey).toBe(Buffer.from(ed25519.getPublicKey(Buffer.from(secret, 'hex'))).toString('hex'));
        expect((await openProvider(w.demo.client, w.provider).getSessionBinding(id))!.clientKey).toBe(bigintFromBytes(Buffer.from(opened.clientKey, 'hex')));
        expect(BigInt(opened.deposit)).toBeLessThan(toNano('1'));
        expect(BigInt(opened.deposit)).toBeGreaterThan(toNano('0.98'));
        expect(opened.settleUntil - opened.expiresAt).toBe(Number(w.demo.protocol.params.sessionChallengeWindow));

        const status = await run(['session', 'status', P(), String(id)]);
        expect(status.code).toBe(0);
        expect(status.stdout).toMatch(new RegExp(`^session ${id}: open until \\d{4}-.*\\ndeposit +[\\d.]+ TON, paid 0 TON \\(voucher 0\\), refundable [\\d.]+ TON\\n`));

        const topped = await json(['session', 'topup', P(), String(id), '--amount', '0.5']);
        expect(BigInt(topped.added)).toBeGreaterThan(toNano('0.49'));
        const deposit = BigInt(opened.deposit) + BigInt(topped.added);

        const v = voucherJson(w, id, 1n, 2000n, tokensFor('0.05'));
        const file = voucherFile(v);
        expect(await json(['session', 'settle', '--voucher', file])).toMatchObject({ ok: true, sent: true, via: 'external', lastSeq: '1', paid: v.charge, added: v.charge });
        expect(await json(['session', 'settle', '--voucher', file])).toMatchObject({ ok: true, sent: false, lastSeq: '1' });

        const closing = await json(['session', 'close', P(), String(id)]);
        expect(closing).toMatchObject({ ok: true, sent: true, action: 'close', state: 'closing', closing: true, refundable: (deposit - BigInt(v.charge)).toString() });
        const again = await run(['session', 'close', P(), String(id)]);
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(new RegExp(`^session ${id} is already closing: nothing sent; vouchers settle until .*, then run close again to refund`));

        await w.advance(closing.settleUntil - w.demo.clock.now() + 5);
        const finished = await json(['session', 'close', P(), String(id)]);
        expect(finished).toMatchObject({ ok: true, sent: true, action: 'finish', state: 'ended', refund: (deposit - BigInt(v.charge)).toString(), client: expect.any(String) });
        // The client finished its own session: the refund message carries the rest of its 0.05 TON too.
        expect(BigInt(finished.refundMessage) - BigInt(finished.refund)).toBeGreaterThan(toNano('0.03'));
        expect(BigInt(finished.refundMessage) - BigInt(finished.refund)).toBeLessThan(toNano('0.05'));
        expect(await session(w, id)).toBeNull();
        expect(await json(['session', 'status', P(), String(id)])).toMatchObject({ state: 'ended', refundMessage: finished.refundMessage });
        expect(await json(['session', 'close', P(), String(id)])).toMatchObject({ ok: true, sent: false, state: 'ended' });
    });
});
