/**
 * `npm start`: the whole protocol in a local @ton/sandbox, through real messages, one line per step
 * with the value sent and the fees paid (the `totalFees` of every transaction of the step).
 * Governance lists an image, a model and a verifier; a provider deploys, stakes, registers an
 * attested enclave and prices the model; a client's job is settled by the enclave's signed receipt
 * (an external message: no wallet needed), and a second job expires and is slashed.
 */
import { Blockchain, SendMessageResult } from '@ton/sandbox';
import { Dictionary, Slice, toNano } from '@ton/core';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { Registry } from '../wrappers/Registry';
import { JobTerms, loadJobCreated, loadJobExpired, loadJobSettled, Provider } from '../wrappers/Provider';
import { defaultParams, modelIdOf, REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { attestationCell, bigintFromBytes, signCell } from '../protocol/signed';
import { bytesToTree } from '../protocol/bytesTree';
import { submitResult } from '../protocol/jobMessages';
import { ton } from './lib/args';

const GLOBAL_ID = -239;
const START_TIME = 1_800_000_000;
const IMAGE_HASH = 0x1111n;
const OFFER = { $$type: 'ModelOffer' as const, pricePerMillionIn: toNano('1'), pricePerMillionOut: toNano('4'), maxContext: 8192n };
const OP_JOB_CREATED = 0x45000001;
const OP_JOB_SETTLED = 0x45000002;
const OP_JOB_EXPIRED = 0x45000004;

export type Log = (line: string) => void;

function feesOf(result: SendMessageResult): bigint {
    return result.transactions.reduce((sum, tx) => sum + tx.totalFees.coins, 0n);
}

function event<T>(result: SendMessageResult, op: number, load: (s: Slice) => T): T {
    for (const out of result.externals) {
        const s = out.body.beginParse();
        if (s.remainingBits >= 32 && s.preloadUint(32) === op) return load(s);
    }
    throw new Error(`no event 0x${op.toString(16)} in the step's transactions`);
}

function failed(result: SendMessageResult): string | null {
    for (const tx of result.transactions) {
        const d = tx.description;
        if (d.type === 'generic' && d.computePhase.type === 'vm' && !d.computePhase.success) {
            return `exit code ${d.computePhase.exitCode}`;
        }
    }
    return null;
}

export async function main(log: Log = console.log) {
    const blockchain = await Blockchain.create();
    blockchain.now = START_TIME;
    const governor = await blockchain.treasury('governance');
    const treasury = await blockchain.treasury('treasury');
    const providerOwner = await blockchain.treasury('provider-owner');
    const client = await blockchain.treasury('client');
    const keeper = await blockchain.treasury('keeper');
    const params = defaultParams(treasury.address);

    /** Sends one step, prints value and fees, and stops the walkthrough if a transaction failed. */
    const step = async (label: string, value: bigint, send: () => Promise<SendMessageResult>) => {
        const result = await send();
        const failure = failed(result);
        if (failure) throw new Error(`${label}: failed with ${failure}`);
        log(`${label}: sent ${ton(value)} TON, fees ${ton(feesOf(result))} TON`);
        return result;
    };
    const advance = (seconds: number, why: string) => {
        blockchain.now! += seconds;
        log(`time +${seconds} s (${why})`);
    };

    log('== governance ==');
    const registry = blockchain.openContract(
        await Registry.fromInit(governor.address, BigInt(GLOBAL_ID), params, null, null, Dictionary.empty(), Dictionary.empty(), Dictionary.empty()),
    );
    await step('deploy Registry (TopUp)', toNano('1'), () => registry.send(governor.getSender(), { value: toNano('1') }, { $$type: 'TopUp', queryId: 0n }));
    log(`Registry ${registry.address}`);
    const verifier = ed25519.keygen();
    const verifierKey = bigintFromBytes(verifier.publicKey);
    const modelId = modelIdOf(REFERENCE_MODEL_NAME);
    const gov = toNano('0.05');
    await step(`allow image 0x${IMAGE_HASH.toString(16)}`, gov, () => registry.send(governor.getSender(), { value: gov }, { $$type: 'AllowImage', queryId: 0n, imageHash: IMAGE_HASH }));
    await step(`allow model ${REFERENCE_MODEL_NAME}`, gov, () => registry.send(governor.getSender(), { value: gov }, { $$type: 'AllowModel', queryId: 0n, modelId, name: REFERENCE_MODEL_NAME }));
    await step('allow verifier', gov, () => registry.send(governor.getSender(), { value: gov }, { $$type: 'AllowVerifier', queryId: 0n, publicKey: verifierKey }));
    advance(Number(params.governanceDelay), 'governance delay: the listings take effect');

    log('== provider ==');
    await step('deploy Provider (DeployProvider)', toNano('0.2'), () => registry.send(providerOwner.getSender(), { value: toNano('0.2') }, { $$type: 'DeployProvider', queryId: 0n }));
    const provider = blockchain.openContract(Provider.fromAddress(await registry.getProviderAddress(providerOwner.address)));
    log(`Provider ${provider.address}`);
    await step('add stake', toNano('20'), () => provider.send(providerOwner.getSender(), { value: toNano('20') }, { $$type: 'AddStake', queryId: 0n }));
    log(`stake ${ton((await provider.getLedger()).stake)} TON`);

    const enclave = ed25519.keygen();
    const enclaveKey = bigintFromBytes(enclave.publicKey);
    const certificate = attestationCell({
        globalId: GLOBAL_ID,
        registry: registry.address,
        provider: provider.address,
        imageHash: IMAGE_HASH,
        enclaveEd25519: enclaveKey,
        enclaveX25519: bigintFromBytes(x25519.keygen().publicKey),
        quoteHash: 0xabcdn, // the SHA-256 of the TDX quote the verifier checked; none in the sandbox
        issuedAt: blockchain.now! - 10,
        expiresAt: blockchain.now! + 3 * 86400,
    });
    const signature = signCell(certificate, verifier.secretKey);
    await step('register enclave (certificate signed by the verifier)', toNano('0.1'), () =>
        provider.send(providerOwner.getSender(), { value: toNano('0.1') }, { $$type: 'RegisterEnclave', queryId: 0n, verifierKey, signature, certificate }),
    );
    const registered = await provider.getEnclave(enclaveKey);
    if (!registered) throw new Error('the enclave was not registered');
    log(`enclave registered, valid until ${new Date(Number(registered.validUntil) * 1000).toISOString()}`);
    await step(`set prices: ${ton(OFFER.pricePerMillionIn)} / ${ton(OFFER.pricePerMillionOut)} TON per million tokens in / out`, toNano('0.1'), () =>
        provider.send(providerOwner.getSender(), { value: toNano('0.1') }, { $$type: 'SetModelOffer', queryId: 0n, modelId, offer: OFFER }),
    );

    const terms: JobTerms = {
        $$type: 'JobTerms', modelId, maxInputTokens: 1000n, maxOutputTokens: 1000n, ttl: 600n, enclaveKey,
        resultKey: bigintFromBytes(x25519.keygen().publicKey),
    };
    const escrow = await provider.getRequiredEscrow(terms.modelId, terms.maxInputTokens, terms.maxOutputTokens);
    const createJob = async () => {
        const result = await step('client creates a job (1 KB payload)', escrow, () =>
            provider.send(client.getSender(), { value: escrow }, { $$type: 'CreateJob', terms, payload: bytesToTree(Buffer.alloc(1024, 1)) }),
        );
        return event(result, OP_JOB_CREATED, loadJobCreated).jobId;
    };

    log('== job 1: settled ==');
    const clientBefore = await client.getBalance();
    const ledgerBefore = await provider.getLedger();
    const jobId = await createJob();
    log(`job ${jobId}: escrow ${ton(escrow)} TON (price cap at 1000 + 1000 tokens plus the settlement allowance)`);
    const answer = { result: bytesToTree(Buffer.alloc(1024, 2)), inputTokens: 500, outputTokens: 700 };
    const delivery = submitResult({ globalId: GLOBAL_ID, provider: provider.address, jobId, payloadHash: (await provider.getJob(jobId))!.payloadHash }, enclave.secretKey, answer);
    const settled = await step('enclave receipt delivered by external message (no wallet, no value)', 0n, () => provider.sendExternal(delivery));
    const s = event(settled, OP_JOB_SETTLED, loadJobSettled);
    const ledgerAfter = await provider.getLedger();
    const clientCost = clientBefore - (await client.getBalance());
    const earned = ledgerAfter.earnings - ledgerBefore.earnings;
    const protocolFee = ledgerAfter.fees - ledgerBefore.fees;
    log(`job ${jobId} settled: ${s.inputTokens} input + ${s.outputTokens} output tokens, price ${ton(s.price)} TON`);
    log(`client paid ${ton(escrow)} TON, refunded ${ton(s.refund)} TON, net cost ${ton(clientCost)} TON (price and gas)`);
    log(`provider earned ${ton(earned)} TON, protocol fee ${ton(protocolFee)} TON`);

    log('== job 2: expired ==');
    const expiringBefore = await client.getBalance();
    const expiringLedger = await provider.getLedger();
    const expiring = await createJob();
    advance(Number(terms.ttl) + 1, `past job ${expiring}'s deadline, no receipt`);
    const expireValue = toNano('0.05');
    const expired = await step('anyone sends ExpireJob', expireValue, () =>
        provider.send(keeper.getSender(), { value: expireValue }, { $$type: 'ExpireJob', queryId: 0n, jobId: expiring }),
    );
    const e = event(expired, OP_JOB_EXPIRED, loadJobExpired);
    const afterExpiry = await provider.getLedger();
    const toTreasury = afterExpiry.fees - expiringLedger.fees;
    const compensation = e.slashed - toTreasury;
    log(`job ${expiring} expired: slashed ${ton(e.slashed)} TON from the stake, client compensation ${ton(compensation)} TON, treasury ${ton(toTreasury)} TON`);
    log(`client paid ${ton(escrow)} TON, refunded ${ton(e.refund)} TON (escrow less the creation gas, plus the compensation), net cost ${ton(expiringBefore - (await client.getBalance()))} TON`);
    log(`stake now ${ton(afterExpiry.stake)} TON; provider totals: ${afterExpiry.completed} completed, ${afterExpiry.expired} expired`);

    return { jobId, price: s.price, refund: s.refund, earned, protocolFee, slashed: e.slashed, compensation, expiryRefund: e.refund };
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (err) => {
            console.error(err);
            process.exit(1);
        },
    );
}
