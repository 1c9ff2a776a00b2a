/**
 * `npm run demo`: the whole path on a local devnet — deploy, attest, stake, one confidential job
 * from a client wallet through the relayer and the enclave runner, settled on chain — then keeps
 * serving (devnet, runner, relayer, and the OpenAI-compatible gateway paying from a wallet of its own)
 * until Ctrl-C. Ports: COCOON_DEMO_DEVNET_PORT (default 8081), COCOON_DEMO_RUNNER_PORT (8700),
 * COCOON_DEMO_RELAYER_PORT (8790), COCOON_GATEWAY_PORT (8080); 0 picks free ones. COCOON_DEMO_OUT
 * (default .cocoon-demo): where the developer environment file (demo/devEnv.ts) is written.
 * COCOON_DEMO_RATE_LIMIT / COCOON_DEMO_KEY_RATE_LIMIT: the devnet's --rate-limit / --key-rate-limit
 * (1 and 10 are toncenter's tiers), for its users; the demo's own services are not limited.
 */
import { fromNano, toNano } from '@ton/core';
import OpenAI from 'openai';
import { startGateway } from '../gateway/server';
import { REFERENCE_MODEL_NAME } from '../protocol/defaults';
import { CocoonError, JobDeclinedError, JobExpiredError } from '../sdk';
import { createLogger } from '../relayer/log';
import { open } from '../protocol/tonClient';
import { Provider } from '../wrappers/Provider';
import { chat, replyText, startDemo } from './startDemo';
import { writeDevEnv } from './devEnv';

const say = (line: string) => process.stdout.write(`${line}\n`);
const ton = (n: bigint) => `${fromNano(n)} TON`;
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const rate = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

/**
 * One streamed chat through the gateway with the official openai client: the gateway opens its
 * session on chain (one per model), the request goes to the enclave directly, and the answer comes
 * as the engine produces it, billed by the enclave's voucher (nothing of it on chain).
 */
async function streamThroughSession(baseURL: string) {
    const openai = new OpenAI({ baseURL, apiKey: 'loopback', maxRetries: 0 });
    const started = Date.now();
    const { data: stream, response } = await openai.chat.completions
        .create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'answer me through a session please' }], stream: true, stream_options: { include_usage: true } })
        .withResponse();
    let text = '';
    let deltas = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let voucherUrl: string | undefined; // the last chunk names the voucher that billed the request
    for await (const chunk of stream) {
        const d = chunk.choices[0]?.delta?.content;
        if (d) (text += d), deltas++;
        if (chunk.usage) usage = chunk.usage;
        voucherUrl ??= (chunk as { cocoon?: { voucher_url?: string } }).cocoon?.voucher_url;
    }
    say(`session       #${response.headers.get('x-cocoon-session-id')} opened by the gateway; a chat streamed in ${deltas} deltas: "${text}" (${usage?.prompt_tokens} + ${usage?.completion_tokens} tokens, ${Date.now() - started} ms with the opening)`);
    say(`              billed by the enclave's voucher, nothing of it on chain: ${new URL(baseURL).origin}${voucherUrl}`);
}

async function main() {
    say('starting devnet, deploying the registry and a provider, attesting the enclave runner...');
    const rateLimit = rate('COCOON_DEMO_RATE_LIMIT');
    const keyRateLimit = rate('COCOON_DEMO_KEY_RATE_LIMIT');
    const demo = await startDemo({
        devnetPort: port('COCOON_DEMO_DEVNET_PORT', 8081),
        runnerPort: port('COCOON_DEMO_RUNNER_PORT', 8700),
        relayerPort: port('COCOON_DEMO_RELAYER_PORT', 8790),
        relayerLogLevel: process.env.LOG_LEVEL ?? 'warn',
        rateLimit,
        keyRateLimit,
    });
    const { protocol } = demo;
    const limit = (rps: number | undefined) => (rps === undefined ? 'unlimited' : `${rps} requests/s`);
    const limited = rateLimit ?? keyRateLimit ? ` (${limit(rateLimit)} per IP without an API key, ${limit(keyRateLimit ?? rateLimit)} per key)` : '';
    say(`devnet        ${demo.devnet.endpoint}${limited}`);
    say(`registry      ${protocol.registry.address}`);
    const ledger = await open(demo.client, Provider.fromAddress(protocol.provider.address)).getLedger();
    say(`provider      ${protocol.provider.address} (stake ${ton(ledger.stake)})`);
    say(`enclave       ${protocol.attestation.enclaveEd25519.slice(0, 16)}… (${protocol.attestation.quoteKind} quote), runner ${protocol.runnerUrl}`);
    say(`relayer       ${demo.relayer!.url}/healthz, /metrics (keeper ${demo.relayer!.keeperAddress})`);

    const prompt = process.env.COCOON_DEMO_PROMPT ?? 'the quick brown fox jumps over the lazy dog';
    // The first job goes through the SDK a user calls (sdk/client.ts), from a wallet of its own.
    const user = await demo.newUser();
    say(`client        ${user.address}`);
    say(`prompt        "${prompt}" (sealed to the enclave; the relayer and the chain see only ciphertext)`);
    const started = Date.now();
    const job = await user.sdk.submit(chat(prompt));
    say(`created       job ${job.jobId}, escrow ${ton(job.escrow)}`);
    const end = await job.result.catch((e: unknown) => {
        if (e instanceof JobDeclinedError || e instanceof JobExpiredError) return e;
        throw e;
    });
    const elapsed = Date.now() - started;
    // The SDK reads the settlement from the Provider's transactions, usually before the relayer has
    // confirmed its delivery: give it a moment to record the job as final.
    const relayerState = () => demo.relayer!.store.get(protocol.provider.address.toRawString(), job.jobId)?.state;
    for (let i = 0; i < 40 && relayerState() !== 'final'; i++) await new Promise((r) => setTimeout(r, 50));
    const kind = end instanceof JobDeclinedError ? 'declined' : end instanceof JobExpiredError ? 'expired' : 'receipt';
    say(`dispatched    relayer → runner → signed ${kind}; relayer state: ${relayerState()}`);
    if (end instanceof CocoonError) {
        say(`ended         ${kind}, refunded ${ton(end.refund)}`);
    } else {
        say(`result        "${replyText(end)}" (${end.usage.inputTokens} input + ${end.usage.outputTokens} output tokens, verified against the enclave's receipt and opened with the client's key)`);
        say(`settled       price ${ton(end.price)}: provider earned ${ton(end.providerEarned)}, protocol fee ${ton(end.fee)}; refunded ${ton(end.refund)} to the client`);
        say(`              client paid ${ton(end.escrow - end.refund)} in total (price + gas) in ${elapsed} ms`);
    }
    user.sdk.close();

    // The gateway: OpenAI clients are served from one session per model, whose deposit this wallet pays.
    const { sdk, signer } = await demo.newUser({ funds: toNano('100') });
    const gateway = await startGateway({ sdk, port: port('COCOON_GATEWAY_PORT', 8080) });
    say(`gateway       ${gateway.url} (OpenAI API; wallet ${signer.address})`);
    await streamThroughSession(gateway.url);
    const example = JSON.stringify({ model: 'cocoon-reference-v1', messages: [{ role: 'user', content: 'hello there' }] });
    say(`              try: curl ${gateway.url}/chat/completions -H 'content-type: application/json' -d '${example}'`);
    // For the SDK in a developer's own app (README "Quick start: SDK in your app").
    const devEnv = await writeDevEnv(demo, process.env.COCOON_DEMO_OUT ?? '.cocoon-demo');
    say(`dev env       ${devEnv} (endpoint, registry, funded wallet, dev root: node --env-file=${devEnv} app.mjs)`);
    say('serving until Ctrl-C');
    const log = createLogger('info');
    const stop = (signal: string) => {
        log.info({ signal }, 'demo stopping');
        gateway.close().then(() => demo.stop()).then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

main().catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).message}${(e as { response?: { data?: { error?: string } } }).response?.data?.error ? ` (${(e as { response: { data: { error: string } } }).response.data.error})` : ''}\n${(e as Error).stack}\n`);
    process.exit(1);
});
