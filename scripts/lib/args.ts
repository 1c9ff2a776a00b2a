/**
 * Arguments of the blueprint scripts: flags after `--` on the command line, or the environment
 * (`.env` is loaded through dotenv). `--min-stake 12` and `COCOON_MIN_STAKE=12` are the same value;
 * a flag wins over the environment. Every value is parsed and checked before anything is sent, so a
 * missing or malformed value fails with a UsageError naming the flag and its variable.
 */
import { readFileSync } from 'node:fs';
import { Address, Cell, fromNano, toNano } from '@ton/core';
import { config as loadDotenv } from 'dotenv';

/**
 * An outcome the script reports as one line. Blueprint prints a script's error with
 * `console.error(error)` and exits 1; an Error's stack would add a dozen lines of frames in
 * node_modules, so the stack of these is the message alone.
 */
export class ScriptError extends Error {
    constructor(message: string, name: string) {
        super(message);
        this.name = name;
        this.stack = `${name}: ${message}`;
    }
}

/** A value the caller must fix: the script sent nothing. */
export class UsageError extends ScriptError {
    constructor(message: string) {
        super(message, 'UsageError');
    }
}

/** A check of the chain before sending failed (balance, state, allow-lists, timing): nothing was sent. */
export class PreconditionError extends ScriptError {
    constructor(message: string) {
        super(`${message}. Nothing was sent`, 'PreconditionError');
    }
}

/** The message was sent and a contract refused it (the exit code is named), or its fate is unknown. */
export class RefusedError extends ScriptError {
    constructor(message: string) {
        super(message, 'RefusedError');
    }
}

const UINT256_MAX = (1n << 256n) - 1n;

/** `min-stake` → `COCOON_MIN_STAKE`. */
export function envName(flag: string): string {
    return 'COCOON_' + flag.toUpperCase().replace(/-/g, '_');
}

export class Args {
    readonly positionals: string[] = [];
    private readonly flags = new Map<string, string>();

    constructor(argv: string[], private readonly env: NodeJS.ProcessEnv = process.env) {
        for (let i = 0; i < argv.length; i++) {
            const a = argv[i];
            if (!a.startsWith('--')) {
                this.positionals.push(a);
                continue;
            }
            const eq = a.indexOf('=');
            if (eq > 0) {
                this.flags.set(a.slice(2, eq), a.slice(eq + 1));
            } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
                this.flags.set(a.slice(2), argv[++i]);
            } else {
                throw new UsageError(`--${a.slice(2)} needs a value`);
            }
        }
    }

    /** The raw value of a flag, from the arguments or else the environment. */
    raw(flag: string): string | undefined {
        const v = this.flags.get(flag) ?? this.env[envName(flag)];
        return v === undefined || v === '' ? undefined : v;
    }

    has(flag: string): boolean {
        return this.raw(flag) !== undefined;
    }

    string(flag: string, fallback?: string): string {
        const v = this.raw(flag) ?? fallback;
        if (v === undefined) throw new UsageError(`missing --${flag} (or ${envName(flag)})`);
        return v;
    }

    address(flag: string, fallback?: Address): Address {
        const v = this.raw(flag);
        if (v === undefined) {
            if (fallback) return fallback;
            throw new UsageError(`missing --${flag} (or ${envName(flag)}): a TON address`);
        }
        try {
            return Address.parse(v);
        } catch {
            throw new UsageError(`--${flag}: "${v}" is not a TON address`);
        }
    }

    /** An amount in TON ("1.5"), returned in nanotons; at most 9 decimals. */
    amount(flag: string, fallback?: bigint, opts: { min?: bigint; allowZero?: boolean } = {}): bigint {
        const v = this.raw(flag);
        if (v === undefined) {
            if (fallback !== undefined) return fallback;
            throw new UsageError(`missing --${flag} (or ${envName(flag)}): an amount in TON`);
        }
        if (!/^\d+(\.\d{1,9})?$/.test(v)) throw new UsageError(`--${flag}: "${v}" is not an amount in TON (up to 9 decimals)`);
        const nano = toNano(v);
        if (nano === 0n && !opts.allowZero) throw new UsageError(`--${flag}: must be more than 0 TON`);
        if (opts.min !== undefined && nano < opts.min) throw new UsageError(`--${flag}: at least ${fromNano(opts.min)} TON`);
        return nano;
    }

    /** A non-negative integer, within bounds if given. */
    int(flag: string, fallback?: bigint, bounds: { min?: bigint; max?: bigint } = {}): bigint {
        const v = this.raw(flag);
        if (v === undefined) {
            if (fallback !== undefined) return fallback;
            throw new UsageError(`missing --${flag} (or ${envName(flag)}): an integer`);
        }
        if (!/^-?\d+$/.test(v)) throw new UsageError(`--${flag}: "${v}" is not an integer`);
        const n = BigInt(v);
        if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) {
            throw new UsageError(`--${flag}: ${v} is outside [${bounds.min ?? '-∞'}, ${bounds.max ?? '∞'}]`);
        }
        return n;
    }

    /** A 256-bit value (hash or public key): 64 hex digits, with or without 0x. */
    uint256(flag: string): bigint {
        const v = this.bytes(flag, 32);
        const n = BigInt('0x' + v.toString('hex'));
        if (n > UINT256_MAX) throw new UsageError(`--${flag}: above 2^256`);
        return n;
    }

    /** Exactly `length` bytes given as hex, or read from `--<flag>-file` (hex text or raw bytes). */
    bytes(flag: string, length: number): Buffer {
        const v = this.raw(flag) ?? this.fromFile(flag);
        if (v === undefined) throw new UsageError(`missing --${flag} or --${flag}-file: ${length} bytes in hex`);
        const hex = v.trim().replace(/^0x/i, '');
        if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 * length) {
            throw new UsageError(`--${flag}: expected ${length} bytes as ${2 * length} hex digits`);
        }
        return Buffer.from(hex, 'hex');
    }

    /** A cell given as a BOC in base64 or hex, or read from `--<flag>-file` (raw or text BOC). */
    cell(flag: string): Cell {
        const v = this.raw(flag) ?? this.fromFile(flag);
        if (v === undefined) throw new UsageError(`missing --${flag} or --${flag}-file: a BOC (base64 or hex)`);
        const text = v.trim();
        const buf = /^(0x)?[0-9a-fA-F]+$/.test(text) ? Buffer.from(text.replace(/^0x/i, ''), 'hex') : Buffer.from(text, 'base64');
        try {
            return Cell.fromBoc(buf)[0];
        } catch {
            throw new UsageError(`--${flag}: not a valid BOC`);
        }
    }

    private fromFile(flag: string): string | undefined {
        const path = this.raw(`${flag}-file`);
        if (path === undefined) return undefined;
        let data: Buffer;
        try {
            data = readFileSync(path);
        } catch (e) {
            throw new UsageError(`--${flag}-file: cannot read ${path}: ${(e as Error).message}`);
        }
        const text = data.toString('utf8').trim();
        // A text file (hex or base64) is returned as is; a binary one (raw BOC or key) as hex.
        if (text.length > 0 && /^[0-9a-zA-Z+/=\s]*$/.test(text)) return text;
        return data.toString('hex');
    }
}

/** Loads `.env` (without overriding the environment) and parses the script's arguments. */
export function parseArgs(argv: string[]): Args {
    loadDotenv({ quiet: true });
    return new Args(argv);
}

/** A TON amount for humans: 9 decimals, trailing zeros kept to at least 4. */
export function ton(nano: bigint): string {
    const s = fromNano(nano);
    const [int, frac = ''] = s.split('.');
    return `${int}.${frac.padEnd(4, '0')}`;
}
