/** `cocoon attestation ...`: verify TDX quotes offline; compute the enclave measurement governance allow-lists. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Address } from '@ton/core';
import { enclaveMeasurement } from '../../attestation/enclaveMeasurement';
import { toHex } from '../../attestation/hex';
import { parseQuote } from '../../attestation/parseQuote';
import { reportDataFor, reportDataMatches } from '../../attestation/reportData';
import { canonicalRuntimeJson, parseRuntimeConfig, runtimeHash } from '../../attestation/runtimeConfig';
import { Collateral } from '../../attestation/collateral';
import { loadCollateral } from '../../attestation/collateralLoad';
import { verifyQuote } from '../../attestation/verify';
import { fetchBundle } from '../../sdk/attestation';
import { verdictOf } from '../../attestation/verdict';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exitCodes';
import { readText } from '../files';
import { formatVerdict } from './attestationFormat';

interface VerifyFlags {
    collateral?: string;
    at?: string;
    trustRoot?: string;
    json?: boolean;
    acceptTcb?: string;
    requireCollateral?: boolean;
    rejectTrailing?: boolean;
}

export function register(program: Command): void {
    const group = program.command('attestation').description('Intel TDX attestation quotes');
    group
        .command('verify')
        .description('verify a TDX quote (binary or hex) against the pinned Intel SGX Root CA or --trust-root')
        .argument('<quote-file>', 'quote file: raw bytes, or hex text')
        .option('--collateral <dir-or-json>', 'dcap-qvl collateral JSON, or a directory of Intel PCS files')
        .option('--at <time>', 'verification time: ISO 8601 or unix seconds (default: now)')
        .option('--trust-root <pem>', 'PEM file of the trust anchor (e.g. a development root)')
        .option('--accept-tcb <statuses>', 'comma-separated acceptable TCB statuses (default: UpToDate)')
        .option('--require-collateral', 'fail when no collateral is given')
        .option('--reject-trailing', 'fail on bytes after the end of the quote')
        .option('--json', 'print one JSON object instead of text')
        .action((file: string, flags: VerifyFlags) => {
            const result = verifyQuote(readQuote(file), {
                at: parseTime(flags.at),
                collateral: readCollateral(flags.collateral),
                trustAnchorPem: flags.trustRoot ? readText(flags.trustRoot, 'trust root') : undefined,
                acceptedTcbStatuses: flags.acceptTcb?.split(',').map((s) => s.trim()),
                requireCollateral: flags.requireCollateral,
                trailingBytes: flags.rejectTrailing ? 'reject' : 'allow',
            });
            const verdict = verdictOf(result);
            process.stdout.write(flags.json ? `${JSON.stringify(verdict)}\n` : formatVerdict(verdict));
            process.exitCode = verdict.valid ? EXIT_OK : EXIT_INVALID;
        });
    group
        .command('measure')
        .description("the enclave measurement of a runner's attestation document: the value to allow-list (registry allow-image)")
        .argument('<document>', 'attestation document: a JSON file as served by GET /v1/attestation, or the runner base URL')
        .option('--trust-root <pem>', 'PEM file of the trust anchor (e.g. the dev root of a dev network); default: the pinned Intel SGX Root CA')
        .option('--json', 'print one JSON object instead of text')
        .action(async (source: string, flags: { json?: boolean; trustRoot?: string }) => {
            const m = measureDocument(await readDocument(source), flags.trustRoot ? readText(flags.trustRoot, 'trust root') : undefined);
            if (flags.json) process.stdout.write(`${JSON.stringify(m)}\n`);
            else {
                const lines = [
                    `quote                ${m.valid ? 'verifies' : `DOES NOT VERIFY: ${m.errors.join('; ')}`}`,
                    `enclave measurement  ${m.measurement}`,
                    `image hash           ${m.imageHash}`,
                    `runtime hash         ${m.runtimeHash}`,
                    ...Object.entries(m.registers).map(([k, v]) => `${k.padEnd(21)}${v}`),
                    `runtime              ${m.runtime}`,
                    ...m.warnings.map((w) => `WARNING              ${w}`),
                ];
                process.stdout.write(`${lines.join('\n')}\n`);
            }
            process.exitCode = m.valid ? EXIT_OK : EXIT_INVALID;
        });
}

async function readDocument(source: string): Promise<unknown> {
    try {
        if (/^https?:\/\//.test(source)) return await fetchBundle(source, 10_000); // the SDK's GET: redirects refused
        return JSON.parse(readFileSync(source, 'utf8'));
    } catch (e) {
        throw new UsageError(`cannot read the attestation document ${source}: ${(e as Error).message}`);
    }
}

/**
 * Refuses a document whose quote does not commit to the runtime configuration it serves (REPORTDATA v2),
 * verifies the quote, and shows every register the measurement pins, so governance sees what it lists.
 */
function measureDocument(doc: unknown, trustAnchorPem: string | undefined) {
    const d = (doc ?? {}) as Record<string, unknown>;
    let runtime;
    try {
        runtime = parseRuntimeConfig(d.runtime);
    } catch (e) {
        throw new UsageError(`the document's runtime configuration is refused: ${(e as Error).message}`);
    }
    if (typeof d.quote !== 'string' || typeof d.provider !== 'string' || typeof d.enclaveEd25519 !== 'string' || typeof d.enclaveX25519 !== 'string' || !Number.isInteger(d.globalId)) {
        throw new UsageError('the document needs quote, globalId, provider, enclaveEd25519 and enclaveX25519');
    }
    const quote = parseQuote(new Uint8Array(Buffer.from(d.quote, 'base64')));
    const provider = Address.parse(d.provider);
    const hash = runtimeHash(runtime);
    const claims = { globalId: d.globalId as number, providerWorkchain: provider.workChain, providerHash: provider.hash, enclaveEd25519: Buffer.from(d.enclaveEd25519, 'hex'), enclaveX25519: Buffer.from(d.enclaveX25519, 'hex'), runtimeHash: hash };
    if (!reportDataMatches(quote, claims)) throw new UsageError("the quote's REPORTDATA does not commit to this document's keys, network, provider and runtime configuration");
    const result = verifyQuote(quote, { trustAnchorPem, expectedReportData: reportDataFor(claims) });
    const m = result.measurements;
    const registers = { rtmr3: toHex(m.rtmr3), mrConfigId: toHex(m.mrConfigId), mrOwner: toHex(m.mrOwner), mrOwnerConfig: toHex(m.mrOwnerConfig), xfam: toHex(m.xfam), tdAttributes: toHex(m.tdAttributes) };
    // Host-chosen registers are normally zero: a value here is a launch configuration someone must have reviewed.
    const warnings = (['mrConfigId', 'mrOwner', 'mrOwnerConfig'] as const).filter((k) => /[^0]/.test(registers[k])).map((k) => `${k} is not zero: the host chose it at launch; list this measurement only if you reviewed that value`);
    return {
        valid: result.valid,
        errors: result.errors.map((e) => `${e.check}: ${e.message}`),
        measurement: toHex(enclaveMeasurement(m, hash)),
        imageHash: toHex(m.imageHash),
        runtimeHash: toHex(hash),
        registers,
        runtime: canonicalRuntimeJson(runtime),
        warnings,
    };
}

function readQuote(file: string): Uint8Array {
    let raw: Buffer;
    try {
        raw = readFileSync(file);
    } catch (e) {
        throw new UsageError(`cannot read quote file ${file}: ${(e as Error).message}`);
    }
    // Quotes are often passed around as hex (e.g. copied from logs); accept that too.
    const text = raw.toString('latin1').trim().replace(/^0x/, '');
    if (text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
    return new Uint8Array(raw);
}

function readCollateral(path: string | undefined): Collateral | undefined {
    if (!path) return undefined;
    try {
        return loadCollateral(path);
    } catch (e) {
        throw new UsageError(`cannot load collateral ${path}: ${(e as Error).message}`);
    }
}

function parseTime(value: string | undefined): Date | undefined {
    if (value === undefined) return undefined;
    const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--at: not a time: ${value}`);
    return date;
}
