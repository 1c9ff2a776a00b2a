import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginCell, toNano } from '@ton/core';
import { Args, envName, ton } from '../../scripts/lib/args';

describe('scripts/lib/args', () => {
    it('reads --flag value and --flag=value, keeps positionals, and falls back to COCOON_* variables', () => {
        const a = new Args(['allow-image', '--image-hash', 'ab'.repeat(32), '--value=0.1'], { COCOON_AMOUNT: '2.5', COCOON_VALUE: '9' });
        expect(a.positionals).toEqual(['allow-image']);
        expect(a.uint256('image-hash')).toBe(BigInt('0x' + 'ab'.repeat(32)));
        expect(a.amount('value')).toBe(toNano('0.1')); // the flag wins over the environment
        expect(a.amount('amount')).toBe(toNano('2.5'));
        expect(envName('expiry-client-share-bps')).toBe('COCOON_EXPIRY_CLIENT_SHARE_BPS');
    });

    it('names the flag and its variable in every error', () => {
        expect(() => new Args(['--amount'], {})).toThrow('--amount needs a value');
        const a = new Args(['--n', '7', '--key', '12'], {});
        expect(() => a.amount('amount')).toThrow('missing --amount (or COCOON_AMOUNT): an amount in TON');
        expect(() => a.int('n', undefined, { max: 5n })).toThrow('--n: 7 is outside [-∞, 5]');
        expect(() => a.uint256('key')).toThrow('--key: expected 32 bytes as 64 hex digits');
        expect(() => a.cell('cert')).toThrow('missing --cert or --cert-file');
        expect(() => new Args(['--cert-file', '/nonexistent/x'], {}).cell('cert')).toThrow(/--cert-file: cannot read \/nonexistent\/x/);
        expect(() => new Args(['--cert', 'zz'], {}).cell('cert')).toThrow('--cert: not a valid BOC');
    });

    it('reads a BOC from a raw file and from text (base64 or hex)', () => {
        const cell = beginCell().storeUint(42, 32).endCell();
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-args-'));
        writeFileSync(join(dir, 'c.boc'), cell.toBoc());
        expect(new Args(['--c-file', join(dir, 'c.boc')], {}).cell('c').equals(cell)).toBe(true);
        expect(new Args(['--c', cell.toBoc().toString('base64')], {}).cell('c').equals(cell)).toBe(true);
        expect(new Args(['--c', cell.toBoc().toString('hex')], {}).cell('c').equals(cell)).toBe(true);
    });

    it('prints TON with 4 to 9 decimals', () => {
        expect(ton(toNano('1'))).toBe('1.0000');
        expect(ton(123456789n)).toBe('0.123456789');
    });
});
