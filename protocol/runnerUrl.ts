/**
 * A runner URL a Provider publishes on chain (SetRunnerUrl, getter `runnerUrl`). Anyone who owns a
 * Provider writes it, so it is untrusted input: the attestation decides whether what answers there
 * is trusted, and this check only keeps the URL to what a runner's base URL can be. Used by the SDK's
 * discovery, the relayer and the CLI alike (docs/SPEC.md, "Runner URL"; docs/THREATS.md).
 */

/** The longest URL the contract stores: one cell of whole bytes. */
export const MAX_RUNNER_URL_BYTES = 127;

/**
 * The base URL to call (no trailing slash), or an Error saying why it is refused: it must be
 * http(s), carry no credentials (they would be sent to whoever the URL names), and have no query or
 * fragment, so the paths the clients append (`/v1/attestation`, `/v1/jobs`) stay the paths called.
 */
export function checkRunnerUrl(raw: string): string | Error {
    if (Buffer.byteLength(raw) > MAX_RUNNER_URL_BYTES) return new Error(`runner URL is longer than ${MAX_RUNNER_URL_BYTES} bytes`);
    let u: URL;
    try {
        u = new URL(raw);
    } catch {
        return new Error(`runner URL ${JSON.stringify(raw)} does not parse`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return new Error(`runner URL ${JSON.stringify(raw)} is not http(s)`);
    if (u.username || u.password) return new Error('runner URL carries credentials');
    if (u.search || u.hash || raw.includes('?') || raw.includes('#')) return new Error(`runner URL ${JSON.stringify(raw)} has a query or fragment`);
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

/** As checkRunnerUrl, throwing the refusal (for a URL the user is about to publish). */
export function runnerUrlOrThrow(raw: string): string {
    const checked = checkRunnerUrl(raw);
    if (checked instanceof Error) throw checked;
    return checked;
}
